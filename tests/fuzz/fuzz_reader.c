// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the manifest reader (libyaml events, the tree, the
 * decoder) on arbitrary bytes. Every diagnostic is formatted too, since
 * messages quote the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "diag.h"
#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_set set = { 0 };
	struct diag_list diags = { 0 };

	manifest_read_buffer(&set, "fuzz.yaml", (const char *)data, size, &diags);
	diag_sort(&diags);
	for (size_t i = 0; i < diags.n; i++)
		free(diag_format(&diags.v[i]));
	diag_list_free(&diags);
	manifest_set_free(&set);
	return 0;
}

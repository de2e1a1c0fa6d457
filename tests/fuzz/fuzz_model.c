// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the reader, then the model builder (validation,
 * selectors, named ports, assignments), then the ruleset compiler and the
 * nft text writer when the manifests are valid -- everything `svcnft plan`
 * does short of printing.
 */
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "backend.h"
#include "diag.h"
#include "manifest.h"
#include "model.h"
#include "ruleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A valid model goes all the way to text, into a sink. */
static void compile_to_text(const struct model *m)
{
	struct rs_table table;
	FILE *sink = fopen("/dev/null", "we");

	ruleset_from_model(&table, m, "svcnft", AF_INET);
	if (sink) {
		nft_text_write(sink, &table, true);
		fclose(sink);
	}
	rs_table_free(&table);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest_set set = { 0 };
	struct diag_list diags = { 0 };
	struct model_options opts;
	struct model model = { 0 };

	model_options_default(&opts);
	opts.node_name = "node-a";	/* the node examples/ use: local endpoints,
					 * node hints and the Node's zone get built */
	manifest_read_buffer(&set, "fuzz.yaml", (const char *)data, size, &diags);
	if (model_build(&model, &set, &opts, &diags) == 0 && !diags.nerrors)
		compile_to_text(&model);
	diag_sort(&diags);
	for (size_t i = 0; i < diags.n; i++)
		free(diag_format(&diags.v[i]));
	model_free(&model);
	diag_list_free(&diags);
	manifest_set_free(&set);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The parsing floor for `svcnft check`: read every file named with
 * libyaml's event parser and count the events, doing nothing with them.
 */
#include <stdio.h>

#include <yaml.h>

static long scan(FILE *f)
{
	yaml_parser_t parser;
	yaml_event_t event;
	long events = 0;
	int done = 0;

	if (!yaml_parser_initialize(&parser))
		return -1;
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &event)) {
			events = -1;
			break;
		}
		done = event.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&event);
		events++;
	}
	yaml_parser_delete(&parser);
	return events;
}

int main(int argc, char **argv)
{
	long total = 0;

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		long n = f ? scan(f) : -1;

		if (f)
			fclose(f);
		if (n < 0) {
			fprintf(stderr, "yamlscan: %s: cannot read or parse\n", argv[i]);
			return 1;
		}
		total += n;
	}
	printf("%ld events\n", total);
	return 0;
}

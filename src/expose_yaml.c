// SPDX-License-Identifier: GPL-2.0-or-later
/* svcnft expose: the Service as YAML, through libyaml's emitter. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "expose.h"
#include "util.h"

struct emit {
	yaml_emitter_t e;
	bool failed;
};

static void emit_event(struct emit *em, yaml_event_t *ev, int initialized)
{
	/* yaml_emitter_emit takes the event over, even when it fails */
	if (!initialized || em->failed || !yaml_emitter_emit(&em->e, ev))
		em->failed = true;
}

/*
 * libyaml writes a plain scalar whenever the characters allow it, without
 * asking how a reader will resolve it: a label value 8080, true or 1e3
 * would come back as a number or a boolean, which Kubernetes refuses for a
 * string field. Quote whatever a YAML 1.1 or 1.2 reader could take for
 * anything but a string.
 */
static bool resolves_to_non_string(const char *s)
{
	static const char *const words[] = {
		"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
	};
	char *end;

	if (!*s || *s == '.' || s[strspn(s, "0123456789_:.+-")] == '\0')
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcasecmp(s, words[i]))
			return true;
	strtod(s, &end);
	return *end == '\0';
}

static void emit_str(struct emit *em, const char *s)
{
	yaml_event_t ev;
	bool quote = resolves_to_non_string(s);

	emit_event(em, &ev, yaml_scalar_event_initialize(&ev, NULL,
		(yaml_char_t *)YAML_STR_TAG, (yaml_char_t *)s, (int)strlen(s),
		1, 1, quote ? YAML_DOUBLE_QUOTED_SCALAR_STYLE :
		YAML_PLAIN_SCALAR_STYLE));
}

static void emit_int(struct emit *em, long v)
{
	char buf[32];
	yaml_event_t ev;

	snprintf(buf, sizeof(buf), "%ld", v);
	emit_event(em, &ev, yaml_scalar_event_initialize(&ev, NULL,
		(yaml_char_t *)YAML_INT_TAG, (yaml_char_t *)buf, (int)strlen(buf),
		1, 0, YAML_PLAIN_SCALAR_STYLE));
}

/* A targetPort is an int or a port name (intOrString). */
static void emit_int_or_str(struct emit *em, const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s && !*end)
		emit_int(em, v);
	else
		emit_str(em, s);
}

static void begin_map(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
								  YAML_BLOCK_MAPPING_STYLE));
}

static void end_map(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void begin_seq(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
								   YAML_BLOCK_SEQUENCE_STYLE));
}

static void end_seq(struct emit *em)
{
	yaml_event_t ev;

	emit_event(em, &ev, yaml_sequence_end_event_initialize(&ev));
}

static void emit_labels(struct emit *em, const char *key,
			const struct expose_label *v, size_t n)
{
	if (!n)
		return;
	emit_str(em, key);
	begin_map(em);
	for (size_t i = 0; i < n; i++) {
		emit_str(em, v[i].key);
		emit_str(em, v[i].value);
	}
	end_map(em);
}

static void emit_port(struct emit *em, const struct expose_port *p)
{
	begin_map(em);
	if (p->name) {
		emit_str(em, "name");
		emit_str(em, p->name);
	}
	emit_str(em, "port");
	emit_int(em, p->port);
	emit_str(em, "protocol");
	emit_str(em, p->protocol);
	emit_str(em, "targetPort");
	emit_int_or_str(em, p->target_port);
	if (p->node_port) {
		emit_str(em, "nodePort");
		emit_int(em, p->node_port);
	}
	end_map(em);
}

/* Keys in the order kubectl prints them. */
static void emit_service(struct emit *em, const struct expose_service *s)
{
	begin_map(em);
	emit_str(em, "apiVersion");
	emit_str(em, "v1");
	emit_str(em, "kind");
	emit_str(em, "Service");
	emit_str(em, "metadata");
	begin_map(em);
	emit_labels(em, "labels", s->labels, s->nlabels);
	emit_str(em, "name");
	emit_str(em, s->name);
	emit_str(em, "namespace");
	emit_str(em, s->ns);
	end_map(em);
	emit_str(em, "spec");
	begin_map(em);
	emit_str(em, "ports");
	begin_seq(em);
	for (size_t i = 0; i < s->nports; i++)
		emit_port(em, &s->ports[i]);
	end_seq(em);
	emit_labels(em, "selector", s->selector, s->nselector);
	emit_str(em, "type");
	emit_str(em, s->type);
	end_map(em);
	end_map(em);
}

int expose_write_yaml(FILE *out, const struct expose_service *s)
{
	struct emit em = { .failed = false };
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&em.e))
		return -ENOMEM;
	yaml_emitter_set_output_file(&em.e, out);
	yaml_emitter_set_unicode(&em.e, 1);
	yaml_emitter_set_indent(&em.e, 2);
	emit_event(&em, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	emit_event(&em, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	emit_service(&em, s);
	emit_event(&em, &ev, yaml_document_end_event_initialize(&ev, 1));
	emit_event(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (!em.failed && !yaml_emitter_flush(&em.e))
		em.failed = true;
	yaml_emitter_delete(&em.e);
	return em.failed ? -EIO : 0;
}

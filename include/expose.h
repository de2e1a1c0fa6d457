/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef SVCNFT_EXPOSE_H
#define SVCNFT_EXPOSE_H

/*
 * `svcnft expose`: a Service manifest made from a Pod or a Service read
 * from the manifests, as `kubectl expose` makes one, written as YAML with
 * libyaml's emitter. No I/O besides the FILE the YAML goes to.
 */

#include <stdio.h>

#include "manifest.h"

enum expose_kind {
	EXPOSE_POD,
	EXPOSE_SERVICE,
};

/* What the user asked for; NULL or 0 fields take the defaults. */
struct expose_request {
	enum expose_kind kind;
	const char *name;		/* of the Pod or Service exposed */
	const char *ns;			/* NULL: default */
	const char *service_name;	/* --name; NULL: name (Pods only) */
	const char *type;		/* NULL: ClusterIP */
	const char *protocol;		/* NULL: TCP, or the container port's */
	long port;			/* 0: every port of the object */
	const char *target_port;	/* number or name; NULL: the port */
	long node_port;			/* 0: none */
};

struct expose_label {
	char *key, *value;
};

struct expose_port {
	char *name;		/* NULL: unnamed */
	char *protocol;
	long port;
	char *target_port;	/* a number or a port name */
	long node_port;		/* 0: none */
};

struct expose_service {
	char *name, *ns, *type;
	struct expose_label *labels;	/* metadata.labels */
	size_t nlabels;
	struct expose_label *selector;
	size_t nselector;
	struct expose_port *ports;
	size_t nports, cap_ports;
};

/*
 * Build the Service for req from set into out (zeroed by the caller).
 * Returns 0, or:
 *   -ENOENT      no such Pod or Service in that namespace
 *   -ENODATA     the Pod has no labels, or the Service no selector
 *   -ENOMSG      no port: no --port and the object has no ports
 *   -EEXIST      a Service of that name exists already in the namespace
 *   -E2BIG       --node-port or --target-port with several ports
 */
int expose_build(struct expose_service *out, const struct manifest_set *set,
		 const struct expose_request *req);

/* One YAML document (no "---"); 0 or -EIO. */
int expose_write_yaml(FILE *out, const struct expose_service *s);

void expose_service_free(struct expose_service *s);

#endif

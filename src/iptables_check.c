// SPDX-License-Identifier: GPL-2.0-or-later
/* What the iptables backend cannot program yet: an error per Service and
 * feature, so that a Service is never programmed without what it asks for. */
#include "iptables.h"

static void missing(struct diag_list *dl, const struct model_service *s,
		    const char *field, const char *value, const char *feature)
{
	diag_add(dl, DIAG_ERROR, &s->pos, "Service", s->ns, s->name, field,
		 "%s%s%sthe iptables backend does not implement %s yet",
		 value ? "\"" : "", value ? value : "", value ? "\": " : "", feature);
}

size_t ipt_check_model(const struct model *m, struct diag_list *dl)
{
	size_t before = dl->nerrors;

	for (size_t i = 0; i < m->nservices; i++) {
		const struct model_service *s = &m->services[i];

		if (s->affinity)
			missing(dl, s, "spec.sessionAffinity", "ClientIP", "session affinity");
		if (s->external_local)
			missing(dl, s, "spec.externalTrafficPolicy", "Local",
				"traffic policies");
		if (s->internal_local)
			missing(dl, s, "spec.internalTrafficPolicy", "Local",
				"traffic policies");
		if (s->cluster_ip6.family)
			missing(dl, s, "spec.clusterIPs", NULL,
				"IPv6 (ip6tables-restore)");
		if (s->nsource_ranges)
			missing(dl, s, "spec.loadBalancerSourceRanges", NULL,
				"loadBalancerSourceRanges");
	}
	if (m->node.ncluster_cidrs > 1)
		diag_add(dl, DIAG_ERROR, NULL, NULL, NULL, NULL, NULL,
			 "--cluster-cidr: the iptables backend takes one pod network prefix (iptables' ! -s matches one); give one, or use the nftables backend");
	return dl->nerrors - before;
}

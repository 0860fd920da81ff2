/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CILIARY_POLICY_H
#define CILIARY_POLICY_H

#include "maps.h"

struct policy_result {
	int verdict; /* 0 allow, a proxy port (> 0) for an L7 redirect, or a DROP_* reason */
	__u8 match_type;
};

static __always_inline __u8 policy_match_type(const struct policy_entry *entry, int any_identity)
{
	/* lpm_prefix_length is the entry's key prefix beyond the identity and
	 * direction (0 any protocol, 8 a protocol, up to 24 with a whole port), as in
	 * Cilium's current map; an entry with none is an L3-only (or allow-all) match. */
	if (any_identity)
		return entry->lpm_prefix_length ? POLICY_MATCH_L4_ONLY : POLICY_MATCH_ALL;
	return entry->lpm_prefix_length ? POLICY_MATCH_L3_L4 : POLICY_MATCH_L3_ONLY;
}

/* Looks up the endpoint's policy for a peer identity in one direction. Two
 * longest-prefix look-ups, for the identity and for any identity (0); a deny
 * from either wins, then the more specific allow decides the proxy port. A
 * miss is DROP_POLICY, Cilium's default deny once policy is enforced; the
 * agent writes allow-all entries for directions that are not enforced. */
static __always_inline struct policy_result policy_lookup(__u32 remote_id, __u8 egress, __u8 proto, __be16 port)
{
	struct policy_result res = { .verdict = DROP_POLICY, .match_type = POLICY_MATCH_NONE };
	struct policy_key key = {
		.lpm_prefixlen = POLICY_FULL_PREFIX,
		.sec_label = remote_id,
		.egress = egress,
		.protocol = proto,
		.dport = port,
	};
	struct policy_entry *by_id = bpf_map_lookup_elem(&cilium_policy_v2, &key);
	struct policy_entry *by_any;

	key.sec_label = 0;
	by_any = bpf_map_lookup_elem(&cilium_policy_v2, &key);

	if ((by_id && by_id->deny) || (by_any && by_any->deny)) {
		res.verdict = DROP_POLICY_DENY;
		res.match_type = by_id && by_id->deny ? policy_match_type(by_id, 0) : policy_match_type(by_any, 1);
		return res;
	}
	if (by_id && (!by_any || by_id->lpm_prefix_length >= by_any->lpm_prefix_length)) {
		res.verdict = bpf_ntohs(by_id->proxy_port);
		res.match_type = policy_match_type(by_id, 0);
	} else if (by_any) {
		res.verdict = bpf_ntohs(by_any->proxy_port);
		res.match_type = policy_match_type(by_any, 1);
	}
	return res;
}

/* The identity of an address from the ipcache; world when nothing matches. */
static __always_inline __u32 ipcache_identity(__be32 addr)
{
	struct ipcache_key key = { .prefixlen = 32 + 32, .family = ENDPOINT_KEY_IPV4, .ip4 = addr };
	struct remote_endpoint_info *info = bpf_map_lookup_elem(&cilium_ipcache, &key);

	return info ? info->sec_label : IDENTITY_WORLD;
}

#endif

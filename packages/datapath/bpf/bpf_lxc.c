// SPDX-License-Identifier: Apache-2.0
/*
 * Endpoint programs on the host side of a pod's veth (tc, direct action):
 *   from_container on tc ingress: traffic leaving the pod, egress policy;
 *   to_container on tc egress: traffic entering the pod, ingress policy.
 * This is Cilium's endpoint-routes arrangement, where each endpoint enforces
 * its own ingress policy on the way in. Established flows and replies pass
 * through conntrack; new flows are checked against the endpoint's policy map.
 */
#include "common.h"
#include "maps.h"
#include "parse.h"
#include "conntrack.h"
#include "policy.h"
#include "notify.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Filled in by the loader for each endpoint. */
const volatile struct ep_config EP_CONFIG = {};

static __always_inline int handle_non_ip(struct __sk_buff *ctx, int parsed, __u32 peer, __u8 dir)
{
	if (parsed == PARSE_ARP)
		return TC_ACT_OK;
	if (parsed == PARSE_NOT_IP) {
		send_drop(ctx, EP_CONFIG.lxc_id, DROP_UNKNOWN_L3, dir == METRIC_EGRESS ? EP_CONFIG.sec_label : 0,
			  dir == METRIC_EGRESS ? 0 : EP_CONFIG.sec_label, dir);
		return TC_ACT_SHOT;
	}
	send_drop(ctx, EP_CONFIG.lxc_id, parsed, dir == METRIC_EGRESS ? EP_CONFIG.sec_label : peer,
		  dir == METRIC_EGRESS ? peer : EP_CONFIG.sec_label, dir);
	return TC_ACT_SHOT;
}

SEC("tc")
int from_container(struct __sk_buff *ctx)
{
	struct packet pkt = {};
	struct policy_result res;
	__u32 dst_id;
	int parsed, ct, ret;

	parsed = parse_packet(ctx, &pkt);
	if (parsed != PARSE_OK)
		return handle_non_ip(ctx, parsed, 0, METRIC_EGRESS);
	if (pkt.saddr != EP_CONFIG.lxc_ipv4) {
		send_drop(ctx, EP_CONFIG.lxc_id, DROP_INVALID_SIP, EP_CONFIG.sec_label, 0, METRIC_EGRESS);
		return TC_ACT_SHOT;
	}

	ct = pkt.icmp_related ? CT_RELATED : ct_lookup(&pkt, CT_EGRESS);
	if (ct == CT_ESTABLISHED || ct == CT_REPLY || ct == CT_RELATED) {
		metrics_update(0, METRIC_EGRESS, pkt.len);
		if (!EP_CONFIG.monitor_aggregation)
			send_trace(ctx, EP_CONFIG.lxc_id, TRACE_FROM_LXC, EP_CONFIG.sec_label, 0, 0, ct,
				   EP_CONFIG.ifindex);
		return TC_ACT_OK;
	}

	dst_id = ipcache_identity(pkt.daddr);
	res = policy_lookup(dst_id, 1, pkt.proto, pkt.policy_port);
	send_policy_verdict(ctx, EP_CONFIG.lxc_id, dst_id, &pkt, 1, &res);
	if (res.verdict < 0) {
		send_drop(ctx, EP_CONFIG.lxc_id, res.verdict, EP_CONFIG.sec_label, dst_id, METRIC_EGRESS);
		return TC_ACT_SHOT;
	}
	ret = ct_create(&pkt, CT_EGRESS, EP_CONFIG.sec_label, EP_CONFIG.ifindex);
	if (ret < 0) {
		send_drop(ctx, EP_CONFIG.lxc_id, ret, EP_CONFIG.sec_label, dst_id, METRIC_EGRESS);
		return TC_ACT_SHOT;
	}
	metrics_update(0, METRIC_EGRESS, pkt.len);
	send_trace(ctx, EP_CONFIG.lxc_id, TRACE_FROM_LXC, EP_CONFIG.sec_label, dst_id, 0, ct, EP_CONFIG.ifindex);
	return TC_ACT_OK;
}

SEC("tc")
int to_container(struct __sk_buff *ctx)
{
	struct packet pkt = {};
	struct policy_result res;
	__u32 src_id;
	int parsed, ct, ret;

	parsed = parse_packet(ctx, &pkt);
	if (parsed != PARSE_OK)
		return handle_non_ip(ctx, parsed, 0, METRIC_INGRESS);

	ct = pkt.icmp_related ? CT_RELATED : ct_lookup(&pkt, CT_INGRESS);
	if (ct == CT_ESTABLISHED || ct == CT_REPLY || ct == CT_RELATED) {
		metrics_update(0, METRIC_INGRESS, pkt.len);
		if (!EP_CONFIG.monitor_aggregation)
			send_trace(ctx, EP_CONFIG.lxc_id, TRACE_TO_LXC, 0, EP_CONFIG.sec_label, EP_CONFIG.lxc_id, ct,
				   EP_CONFIG.ifindex);
		return TC_ACT_OK;
	}

	src_id = ipcache_identity(pkt.saddr);
	res = policy_lookup(src_id, 0, pkt.proto, pkt.policy_port);
	send_policy_verdict(ctx, EP_CONFIG.lxc_id, src_id, &pkt, 0, &res);
	if (res.verdict < 0) {
		send_drop(ctx, EP_CONFIG.lxc_id, res.verdict, src_id, EP_CONFIG.sec_label, METRIC_INGRESS);
		return TC_ACT_SHOT;
	}
	ret = ct_create(&pkt, CT_INGRESS, src_id, EP_CONFIG.ifindex);
	if (ret < 0) {
		send_drop(ctx, EP_CONFIG.lxc_id, ret, src_id, EP_CONFIG.sec_label, METRIC_INGRESS);
		return TC_ACT_SHOT;
	}
	metrics_update(0, METRIC_INGRESS, pkt.len);
	send_trace(ctx, EP_CONFIG.lxc_id, TRACE_TO_LXC, src_id, EP_CONFIG.sec_label, EP_CONFIG.lxc_id, ct,
		   EP_CONFIG.ifindex);
	return TC_ACT_OK;
}

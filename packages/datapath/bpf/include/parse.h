/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CILIARY_PARSE_H
#define CILIARY_PARSE_H

#include "common.h"

/* Parse results that are not drops. */
#define PARSE_OK 0
#define PARSE_NOT_IP 1 /* not IPv4: ARP passes, anything else is an unknown L3 */
#define PARSE_ARP 2

/* Reads the Ethernet, IPv4 and L4 headers of `ctx` into `pkt`. Returns a
 * PARSE_* value or a negative DROP_* reason. */
static __always_inline int parse_packet(struct __sk_buff *ctx, struct packet *pkt)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4;
	__u32 l4_off;

	if ((void *)(eth + 1) > data_end)
		return DROP_INVALID;
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return PARSE_ARP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return PARSE_NOT_IP;

	ip4 = (void *)(eth + 1);
	if ((void *)(ip4 + 1) > data_end)
		return DROP_INVALID;
	if (ip4->ihl < 5)
		return DROP_INVALID;
	/* Without fragment tracking only unfragmented packets and first
	 * fragments can be matched against L4 policy; Cilium 1.12 drops the rest. */
	if (ip4->frag_off & bpf_htons(IP_OFFSET))
		return DROP_FRAG_NOSUPPORT;

	pkt->len = ctx->len;
	pkt->proto = ip4->protocol;
	pkt->saddr = ip4->saddr;
	pkt->daddr = ip4->daddr;
	pkt->sport = 0;
	pkt->dport = 0;
	pkt->policy_port = 0;
	pkt->tcp_flags = 0;
	pkt->icmp_related = 0;
	l4_off = ETH_HLEN + ip4->ihl * 4;

	if (pkt->proto == PROTO_TCP) {
		struct tcphdr tcp;
		if (bpf_skb_load_bytes(ctx, l4_off, &tcp, sizeof(tcp)) < 0)
			return DROP_CT_INVALID_HDR;
		pkt->sport = tcp.source;
		pkt->dport = tcp.dest;
		pkt->tcp_flags = ((__u8 *)&tcp)[13];
	} else if (pkt->proto == PROTO_UDP || pkt->proto == PROTO_SCTP) {
		__be16 ports[2];
		if (bpf_skb_load_bytes(ctx, l4_off, ports, sizeof(ports)) < 0)
			return DROP_CT_INVALID_HDR;
		pkt->sport = ports[0];
		pkt->dport = ports[1];
	} else if (pkt->proto == PROTO_ICMP) {
		struct icmphdr icmp;
		if (bpf_skb_load_bytes(ctx, l4_off, &icmp, sizeof(icmp)) < 0)
			return DROP_CT_INVALID_HDR;
		pkt->policy_port = bpf_htons((__u16)icmp.type << 8);
		if (icmp.type == ICMP_ECHO) {
			pkt->sport = icmp.un.echo.id;
		} else if (icmp.type == ICMP_ECHOREPLY) {
			pkt->dport = icmp.un.echo.id;
		} else if (icmp.type == ICMP_DEST_UNREACH || icmp.type == ICMP_TIME_EXCEEDED ||
			   icmp.type == ICMP_PARAMETERPROB) {
			/* Errors about a connection travel with it (Cilium's RELATED). */
			pkt->icmp_related = 1;
		}
		return PARSE_OK;
	}
	pkt->policy_port = pkt->dport;
	return PARSE_OK;
}

#endif

/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CILIARY_CONNTRACK_H
#define CILIARY_CONNTRACK_H

#include "maps.h"

/* Also the trace reasons of trace notifications (new, established, reply, related, reopened). */
#define CT_NEW 0
#define CT_ESTABLISHED 1
#define CT_REPLY 2
#define CT_RELATED 3
#define CT_REOPENED 4

/* Lifetimes in seconds, Cilium's defaults. */
#define CT_LIFETIME_TCP 21600
#define CT_LIFETIME_NONTCP 60
#define CT_SYN_TIMEOUT 60
#define CT_CLOSE_TIMEOUT 10

static __always_inline void *ct_map_for(__u8 proto)
{
	return proto == PROTO_TCP ? (void *)&cilium_ct4_global : (void *)&cilium_ct_any4_global;
}

/* The tuple of a packet travelling in `dir`: addresses as the packet carries
 * them, ports of the original direction, the direction flag. */
static __always_inline void ct_tuple(const struct packet *pkt, __u8 dir, struct ipv4_ct_tuple *t)
{
	t->daddr = pkt->daddr;
	t->saddr = pkt->saddr;
	t->dport = pkt->dport;
	t->sport = pkt->sport;
	t->nexthdr = pkt->proto;
	t->flags = dir == CT_EGRESS ? TUPLE_F_OUT : TUPLE_F_IN;
}

/* The tuple the other end's packets were recorded under: the reverse flow,
 * seen by the opposite hook. */
static __always_inline void ct_reverse_tuple(const struct packet *pkt, __u8 dir, struct ipv4_ct_tuple *t)
{
	t->daddr = pkt->saddr;
	t->saddr = pkt->daddr;
	t->dport = pkt->sport;
	t->sport = pkt->dport;
	t->nexthdr = pkt->proto;
	t->flags = dir == CT_EGRESS ? TUPLE_F_IN : TUPLE_F_OUT;
}

static __always_inline __u32 ct_now(void)
{
	return (__u32)(bpf_ktime_get_boot_ns() / 1000000000ULL);
}

static __always_inline void ct_account(struct ct_entry *entry, const struct packet *pkt, int tx)
{
	if (tx) {
		__sync_fetch_and_add(&entry->tx_packets, 1);
		__sync_fetch_and_add(&entry->tx_bytes, pkt->len);
		entry->tx_flags_seen |= pkt->tcp_flags;
	} else {
		__sync_fetch_and_add(&entry->rx_packets, 1);
		__sync_fetch_and_add(&entry->rx_bytes, pkt->len);
		entry->rx_flags_seen |= pkt->tcp_flags;
	}
	if (pkt->proto == PROTO_TCP) {
		if (pkt->tcp_flags & (TCP_FLAG_FIN | TCP_FLAG_RST)) {
			if (tx || (pkt->tcp_flags & TCP_FLAG_RST))
				entry->tx_closing = 1;
			if (!tx || (pkt->tcp_flags & TCP_FLAG_RST))
				entry->rx_closing = 1;
			entry->lifetime = ct_now() + CT_CLOSE_TIMEOUT;
		} else if (!(pkt->tcp_flags & TCP_FLAG_SYN)) {
			entry->seen_non_syn = 1;
			entry->lifetime = ct_now() + CT_LIFETIME_TCP;
		}
	} else {
		entry->lifetime = ct_now() + CT_LIFETIME_NONTCP;
	}
}

/* Classifies the packet: a known flow in this direction, a reply to a flow
 * the other direction created, or new. A TCP flow closed on both sides and
 * opened again with SYN is REOPENED and gets checked like a new one. */
static __always_inline int ct_lookup(const struct packet *pkt, __u8 dir)
{
	struct ipv4_ct_tuple tuple = {};
	struct ct_entry *entry;
	void *map = ct_map_for(pkt->proto);

	ct_tuple(pkt, dir, &tuple);
	entry = bpf_map_lookup_elem(map, &tuple);
	if (entry) {
		if (entry->rx_closing && entry->tx_closing && (pkt->tcp_flags & TCP_FLAG_SYN))
			return CT_REOPENED;
		ct_account(entry, pkt, 1);
		return CT_ESTABLISHED;
	}
	ct_reverse_tuple(pkt, dir, &tuple);
	entry = bpf_map_lookup_elem(map, &tuple);
	if (entry) {
		ct_account(entry, pkt, 0);
		return CT_REPLY;
	}
	return CT_NEW;
}

static __always_inline int ct_create(const struct packet *pkt, __u8 dir, __u32 src_sec_id, __u32 ifindex)
{
	struct ipv4_ct_tuple tuple = {};
	struct ct_entry entry = {};

	ct_tuple(pkt, dir, &tuple);
	entry.src_sec_id = src_sec_id;
	entry.ifindex = (__u16)ifindex;
	entry.lifetime = ct_now() + (pkt->proto == PROTO_TCP ? CT_SYN_TIMEOUT : CT_LIFETIME_NONTCP);
	entry.tx_packets = 1;
	entry.tx_bytes = pkt->len;
	entry.tx_flags_seen = pkt->tcp_flags;
	if (bpf_map_update_elem(ct_map_for(pkt->proto), &tuple, &entry, BPF_ANY) < 0)
		return DROP_CT_CREATE_FAILED;
	return 0;
}

#endif

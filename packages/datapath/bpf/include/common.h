/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Constants and structures shared by ciliary's datapath programs. Struct
 * layouts follow Cilium's bpf/lib/common.h field by field, so that map
 * contents and notifications are byte-compatible with Cilium's tools; the
 * TypeScript codecs in @ciliary/ebpf-maps describe the same bytes.
 */
#ifndef CILIARY_COMMON_H
#define CILIARY_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* vmlinux.h carries types, not macros. */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_HLEN 14
#define IP_MF 0x2000
#define IP_OFFSET 0x1fff
#define ICMP_ECHOREPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO 8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAMETERPROB 12

#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_SCTP 132

/* Reserved identities (pkg/identity/numericidentity.go). */
#define IDENTITY_HOST 1
#define IDENTITY_WORLD 2

/* Conntrack directions and tuple flags. */
#define CT_EGRESS 0
#define CT_INGRESS 1
#define TUPLE_F_OUT 0
#define TUPLE_F_IN 1

/* Metrics directions (metrics_key.dir). */
#define METRIC_INGRESS 1
#define METRIC_EGRESS 2

/* Drop reasons: negative in code, positive in notifications and metrics. */
#define DROP_INVALID_SIP -132
#define DROP_POLICY -133
#define DROP_INVALID -134
#define DROP_CT_INVALID_HDR -135
#define DROP_UNKNOWN_L3 -139
#define DROP_CT_CREATE_FAILED -155
#define DROP_FRAG_NOSUPPORT -157
#define DROP_POLICY_DENY -181

/* Notification types and trace observation points (bpf/lib/common.h, trace.h). */
#define CILIUM_NOTIFY_DROP 1
#define CILIUM_NOTIFY_TRACE 4
#define CILIUM_NOTIFY_POLICY_VERDICT 5
#define TRACE_TO_LXC 0
#define TRACE_FROM_LXC 5

#define NOTIFY_CAPTURE_VER 1
#define TRACE_PAYLOAD_LEN 128

/* Policy match types reported in policy verdict notifications. */
#define POLICY_MATCH_NONE 0
#define POLICY_MATCH_L3_L4 1
#define POLICY_MATCH_L3_ONLY 2
#define POLICY_MATCH_L4_ONLY 3
#define POLICY_MATCH_ALL 4

struct ipv4_ct_tuple {
	/* Cilium names addresses for the reply direction and ports for the
	 * original one; ciliary fills them the same way (see conntrack.h). */
	__be32 daddr;
	__be32 saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
} __attribute__((packed));

struct ct_entry {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u32 lifetime;
	__u16 rx_closing : 1, tx_closing : 1, nat46 : 1, lb_loopback : 1, seen_non_syn : 1, node_port : 1,
		proxy_redirect : 1, dsr : 1, from_l7lb : 1, reserved : 7;
	__u16 rev_nat_index;
	__u16 ifindex;
	__u8 tx_flags_seen;
	__u8 rx_flags_seen;
	__u32 src_sec_id;
	__u32 last_tx_report;
	__u32 last_rx_report;
};

struct ipcache_key {
	__u32 prefixlen; /* 32 static bits (pad1, pad2, family) + CIDR bits */
	__u16 pad1;
	__u8 pad2;
	__u8 family;
	__be32 ip4;
	__u32 pad4;
	__u32 pad5;
	__u32 pad6;
} __attribute__((packed));

#define ENDPOINT_KEY_IPV4 1

struct remote_endpoint_info {
	__u32 sec_label;
	__be32 tunnel_endpoint;
	__u8 key;
};

/* The policy map in Cilium's current LPM layout, which holds port ranges as
 * port prefixes. Data bits in match order: identity, direction, protocol, port. */
struct policy_key {
	__u32 lpm_prefixlen;
	__u32 sec_label;
	__u8 egress : 1, pad : 7;
	__u8 protocol;
	__be16 dport;
};

/* Prefix length of a fully specified key: identity, direction byte, protocol and port. */
#define POLICY_FULL_PREFIX (32 + 8 + 8 + 16)

struct policy_entry {
	__be16 proxy_port;
	__u8 deny : 1, reserved : 2, lpm_prefix_length : 5;
	__u8 auth_type : 7, has_explicit_auth_type : 1;
	__u32 precedence;
	__u32 cookie;
};

struct metrics_key {
	__u8 reason; /* 0 forwarded, else the drop reason */
	__u8 dir : 2, pad : 6;
	__u16 reserved[3];
};

struct metrics_value {
	__u64 count;
	__u64 bytes;
};

#define NOTIFY_CAPTURE_HDR                                                                                   \
	__u8 type;                                                                                           \
	__u8 subtype;                                                                                        \
	__u16 source;                                                                                        \
	__u32 hash;                                                                                          \
	__u32 len_orig;                                                                                      \
	__u16 len_cap;                                                                                       \
	__u16 version;

struct drop_notify {
	NOTIFY_CAPTURE_HDR
	__u32 src_label;
	__u32 dst_label;
	__u32 dst_id;
	__u16 line;
	__u8 file;
	__s8 ext_error;
};

struct trace_notify {
	NOTIFY_CAPTURE_HDR
	__u32 src_label;
	__u32 dst_label;
	__u16 dst_id;
	__u8 reason;
	__u8 ipv6 : 1, pad : 7;
	__u32 ifindex;
	__be32 orig_ip4;
	__u32 orig_pad[3];
};

struct policy_verdict_notify {
	NOTIFY_CAPTURE_HDR
	__u32 remote_label;
	__s32 verdict;
	__u16 dst_port;
	__u8 proto;
	__u8 dir : 2, ipv6 : 1, match_type : 3, audited : 1, pad0 : 1;
	__u32 pad1;
};

/* Per-endpoint settings, written into .rodata by the loader before each
 * load, so one compiled object serves every endpoint. */
struct ep_config {
	__u32 lxc_id;
	__u32 sec_label;
	__be32 lxc_ipv4;
	__u32 ifindex;
	__u8 lxc_mac[6];
	__u8 node_mac[6];
	/* 0: a trace per packet; 1: traces only when a connection is created. */
	__u32 monitor_aggregation;
};

/* What the programs learn about one packet. */
struct packet {
	__u32 len;
	__u8 proto;
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	/* The port used for the policy look-up: the L4 destination port, or for
	 * ICMP the type shifted into the high byte, as Cilium does. */
	__be16 policy_port;
	__u8 tcp_flags;
	__u8 icmp_related;
};

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_ACK 0x10

#endif

/* Cilium 1.12's map key and value structs (bpf/lib/common.h, maps.h, lb.h,
 * nat.h), IPv4 and IPv6,, written out from the layouts documented in the upstream sources, and
 * the current policy map's LPM layout. The layout test compiles this with
 * clang and compares the BTF with the codecs' layout tables; the interop test
 * creates maps typed with it. */
#ifndef CILIARY_CILIUM_STRUCTS_H
#define CILIARY_CILIUM_STRUCTS_H

#include <linux/types.h>

#define __packed __attribute__((packed))

typedef __u64 mac_t;

union v6addr {
	struct {
		__u32 p1;
		__u32 p2;
		__u32 p3;
		__u32 p4;
	};
	__u8 addr[16];
};

struct policy_key {
	__u32 sec_label;
	__u16 dport;
	__u8 protocol;
	__u8 egress:1,
	     pad:7;
};

struct policy_entry {
	__be16 proxy_port;
	__u8 deny:1,
	     pad:7;
	__u8 pad0;
	__u16 pad1;
	__u16 pad2;
	__u64 packets;
	__u64 bytes;
};

struct policy_key_v2 {
	__u32 prefixlen;
	__u32 sec_label;
	__u8 egress:1,
	     pad:7;
	__u8 protocol;
	__be16 dport;
};

struct policy_entry_v2 {
	__be16 proxy_port;
	__u8 deny:1,
	     reserved:2,
	     lpm_prefix_length:5;
	__u8 auth_type:7,
	     has_explicit_auth_type:1;
	__u32 precedence;
	__u32 cookie;
};

struct ipcache_key {
	__u32 prefixlen;
	__u16 pad1;
	__u8 pad2;
	__u8 family;
	union {
		struct {
			__u32 ip4;
			__u32 pad4;
			__u32 pad5;
			__u32 pad6;
		};
		union v6addr ip6;
	};
} __packed;

struct remote_endpoint_info {
	__u32 sec_label;
	__u32 tunnel_endpoint;
	__u8 key;
};

struct lb4_key {
	__be32 address;
	__be16 dport;
	__u16 backend_slot;
	__u8 proto;
	__u8 scope;
	__u8 pad[2];
};

struct lb4_service {
	union {
		__u32 backend_id;
		__u32 affinity_timeout;
		__u32 l7_lb_proxy_port;
	};
	__u16 count;
	__u16 rev_nat_index;
	__u8 flags;
	__u8 flags2;
	__u8 pad[2];
};

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

struct lb4_reverse_nat {
	__be32 address;
	__be16 port;
} __packed;

struct lb6_key {
	union v6addr address;
	__be16 dport;
	__u16 backend_slot;
	__u8 proto;
	__u8 scope;
	__u8 pad[2];
};

struct lb6_service {
	union {
		__u32 backend_id;
		__u32 affinity_timeout;
		__u32 l7_lb_proxy_port;
	};
	__u16 count;
	__u16 rev_nat_index;
	__u8 flags;
	__u8 flags2;
	__u8 pad[2];
};

struct lb6_backend {
	union v6addr address;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

struct lb6_reverse_nat {
	union v6addr address;
	__be16 port;
} __packed;

struct lb4_affinity_key {
	union {
		__be32 client_ip;
		__u64 client_cookie;
	};
	__u16 rev_nat_id;
	__u8 netns_cookie:1,
	     reserved:7;
	__u8 pad1;
	__u32 pad2;
} __packed;

struct lb6_affinity_key {
	union {
		union v6addr client_ip;
		__u64 client_cookie;
	};
	__u16 rev_nat_id;
	__u8 netns_cookie:1,
	     reserved:7;
	__u8 pad1;
	__u32 pad2;
} __packed;

struct lb_affinity_val {
	__u64 last_used;
	__u32 backend_id;
	__u32 pad;
};

struct lb_affinity_match {
	__u32 backend_id;
	__u16 rev_nat_id;
	__u16 pad;
};

struct lb4_src_range_key {
	__u32 prefixlen;
	__u16 rev_nat_id;
	__u16 pad;
	__be32 addr;
};

struct lb6_src_range_key {
	__u32 prefixlen;
	__u16 rev_nat_id;
	__u16 pad;
	union v6addr addr;
};

struct ipv6_ct_tuple {
	union v6addr daddr;
	union v6addr saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
} __packed;

struct ipv4_ct_tuple {
	__be32 daddr;
	__be32 saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
} __packed;

struct ct_entry {
	__u64 rx_packets;
	union {
		__u64 rx_bytes;
		__u64 backend_id;
	};
	__u64 tx_packets;
	__u64 tx_bytes;
	__u32 lifetime;
	__u16 rx_closing:1,
	      tx_closing:1,
	      nat46:1,
	      lb_loopback:1,
	      seen_non_syn:1,
	      node_port:1,
	      proxy_redirect:1,
	      dsr:1,
	      from_l7lb:1,
	      reserved:7;
	__u16 rev_nat_index;
	__u16 ifindex;
	__u8 tx_flags_seen;
	__u8 rx_flags_seen;
	__u32 src_sec_id;
	__u32 last_tx_report;
	__u32 last_rx_report;
};

struct nat_entry {
	__u64 created;
	__u64 host_local;
	__u64 pad1;
	__u64 pad2;
};

struct ipv4_nat_entry {
	struct nat_entry common;
	union {
		struct {
			__be32 to_saddr;
			__be16 to_sport;
		};
		struct {
			__be32 to_daddr;
			__be16 to_dport;
		};
	};
};

struct ipv6_nat_entry {
	struct nat_entry common;
	union {
		struct {
			union v6addr to_saddr;
			__be16 to_sport;
		};
		struct {
			union v6addr to_daddr;
			__be16 to_dport;
		};
	};
};

struct egress_gw_policy_key {
	__u32 prefixlen;
	__be32 saddr;
	__be32 daddr;
};

struct egress_gw_policy_entry {
	__be32 egress_ip;
	__be32 gateway_ip;
};

struct endpoint_key {
	union {
		struct {
			__u32 ip4;
			__u32 pad1;
			__u32 pad2;
			__u32 pad3;
		};
		union v6addr ip6;
	};
	__u8 family;
	__u8 key;
	__u16 pad5;
} __packed;

struct endpoint_info {
	__u32 ifindex;
	__u16 unused;
	__u16 lxc_id;
	__u32 flags;
	mac_t mac;
	mac_t node_mac;
	__u32 pad[4];
};

struct metrics_key {
	__u8 reason;
	__u8 dir:2,
	     pad:6;
	__u16 reserved[3];
};

struct metrics_value {
	__u64 count;
	__u64 bytes;
};

struct drop_notify {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u16 len_cap;
	__u16 version;
	__u32 src_label;
	__u32 dst_label;
	__u32 dst_id;
	__u16 line;
	__u8 file;
	__s8 ext_error;
};

struct trace_notify {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u16 len_cap;
	__u16 version;
	__u32 src_label;
	__u32 dst_label;
	__u16 dst_id;
	__u8 reason;
	__u8 ipv6:1;
	__u8 pad:7;
	__u32 ifindex;
	union {
		struct {
			__be32 orig_ip4;
			__u32 orig_pad1;
			__u32 orig_pad2;
			__u32 orig_pad3;
		};
		union v6addr orig_ip6;
	};
};

struct policy_verdict_notify {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u16 len_cap;
	__u16 version;
	__u32 remote_label;
	__s32 verdict;
	__u16 dst_port;
	__u8 proto;
	__u8 dir:2,
	     ipv6:1,
	     match_type:3,
	     audited:1,
	     pad0:1;
	__u32 pad1;
};

#endif

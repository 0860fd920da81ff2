/* One BTF-typed map per Cilium key/value pair (Cilium's names and types), so clang emits the structs'
 * BTF. Loaded by the interop test to create maps that bpftool dumps field by
 * field; read by the layout test to compare offsets with the codecs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "cilium_structs.h"

/* Small maps: the test is about layouts, and LRU maps preallocate every entry. */
#define TEST_ENTRIES 1024

#define TYPED_MAP(map_name, map_type, key_type, value_type, entries, flags_value) \
	struct {                                                                   \
		__uint(type, map_type);                                            \
		__type(key, key_type);                                             \
		__type(value, value_type);                                         \
		__uint(max_entries, entries);                                      \
		__uint(map_flags, flags_value);                                    \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                               \
	} map_name SEC(".maps")

TYPED_MAP(cilium_policy_00042, BPF_MAP_TYPE_HASH, struct policy_key, struct policy_entry, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_policy_v2_00042, BPF_MAP_TYPE_LPM_TRIE, struct policy_key_v2, struct policy_entry_v2, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_ipcache, BPF_MAP_TYPE_LPM_TRIE, struct ipcache_key, struct remote_endpoint_info, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb4_services_v2, BPF_MAP_TYPE_HASH, struct lb4_key, struct lb4_service, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb4_backends_v2, BPF_MAP_TYPE_HASH, __u32, struct lb4_backend, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb4_reverse_nat, BPF_MAP_TYPE_HASH, __u16, struct lb4_reverse_nat, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb4_affinity, BPF_MAP_TYPE_LRU_HASH, struct lb4_affinity_key, struct lb_affinity_val, TEST_ENTRIES, 0);
TYPED_MAP(cilium_lb_affinity_match, BPF_MAP_TYPE_HASH, struct lb_affinity_match, __u8, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb4_source_range, BPF_MAP_TYPE_LPM_TRIE, struct lb4_src_range_key, __u8, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb6_services_v2, BPF_MAP_TYPE_HASH, struct lb6_key, struct lb6_service, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb6_backends_v2, BPF_MAP_TYPE_HASH, __u32, struct lb6_backend, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb6_reverse_nat, BPF_MAP_TYPE_HASH, __u16, struct lb6_reverse_nat, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lb6_affinity, BPF_MAP_TYPE_LRU_HASH, struct lb6_affinity_key, struct lb_affinity_val, TEST_ENTRIES, 0);
TYPED_MAP(cilium_lb6_source_range, BPF_MAP_TYPE_LPM_TRIE, struct lb6_src_range_key, __u8, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_ct4_global, BPF_MAP_TYPE_LRU_HASH, struct ipv4_ct_tuple, struct ct_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_ct_any4_global, BPF_MAP_TYPE_LRU_HASH, struct ipv4_ct_tuple, struct ct_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_snat_v4_external, BPF_MAP_TYPE_LRU_HASH, struct ipv4_ct_tuple, struct ipv4_nat_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_ct6_global, BPF_MAP_TYPE_LRU_HASH, struct ipv6_ct_tuple, struct ct_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_ct_any6_global, BPF_MAP_TYPE_LRU_HASH, struct ipv6_ct_tuple, struct ct_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_snat_v6_external, BPF_MAP_TYPE_LRU_HASH, struct ipv6_ct_tuple, struct ipv6_nat_entry, TEST_ENTRIES, 0);
TYPED_MAP(cilium_egress_gw_policy_v4, BPF_MAP_TYPE_LPM_TRIE, struct egress_gw_policy_key, struct egress_gw_policy_entry, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_tunnel_map, BPF_MAP_TYPE_HASH, struct endpoint_key, struct endpoint_key, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_lxc, BPF_MAP_TYPE_HASH, struct endpoint_key, struct endpoint_info, TEST_ENTRIES, BPF_F_NO_PREALLOC);
TYPED_MAP(cilium_metrics, BPF_MAP_TYPE_PERCPU_HASH, struct metrics_key, struct metrics_value, TEST_ENTRIES, BPF_F_NO_PREALLOC);

/* Maps of kernel objects, declared as Cilium declares them: 4-byte keys and values, no BTF types. */
#define FD_MAP(map_name, map_type, entries)                      \
	struct {                                                 \
		__uint(type, map_type);                          \
		__uint(key_size, sizeof(__u32));                 \
		__uint(value_size, sizeof(__u32));               \
		__uint(max_entries, entries);                    \
		__uint(pinning, LIBBPF_PIN_BY_NAME);             \
	} map_name SEC(".maps")

FD_MAP(cilium_call_policy, BPF_MAP_TYPE_PROG_ARRAY, 65535);
FD_MAP(cilium_calls_00042, BPF_MAP_TYPE_PROG_ARRAY, 33);
/* __NR_CPUS__: the loader passes the possible CPUs, as Cilium's does. */
FD_MAP(cilium_events, BPF_MAP_TYPE_PERF_EVENT_ARRAY, __NR_CPUS__);

/* A program to put into the tail-call maps: the interop test reads its ID back from cilium_calls_00042. */
SEC("tc")
int ciliary_tail_call(struct __sk_buff *skb)
{
	return 2; /* TC_ACT_SHOT */
}

/* The notification records are not map values; globals make clang keep their BTF. */
struct drop_notify ciliary_drop_notify;
struct trace_notify ciliary_trace_notify;
struct policy_verdict_notify ciliary_policy_verdict_notify;

char LICENSE[] SEC("license") = "Dual BSD/GPL";

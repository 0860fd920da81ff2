/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Map declarations. Names and layouts are Cilium's; pin paths are set by the
 * loader (global maps by name under the pin root, the policy map per
 * endpoint as cilium_policy_v2_<ID>), so every endpoint's program shares the
 * global maps and owns its policy map. Sizes are defaults the loader may
 * change before the first creation.
 */
#ifndef CILIARY_MAPS_H
#define CILIARY_MAPS_H

#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ipcache_key);
	__type(value, struct remote_endpoint_info);
	__uint(max_entries, 512000);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
	__uint(max_entries, 16384);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_policy_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ipv4_ct_tuple);
	__type(value, struct ct_entry);
	__uint(max_entries, 524288);
} cilium_ct4_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__type(key, struct ipv4_ct_tuple);
	__type(value, struct ct_entry);
	__uint(max_entries, 262144);
} cilium_ct_any4_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__type(key, struct metrics_key);
	__type(value, struct metrics_value);
	__uint(max_entries, 1024);
} cilium_metrics SEC(".maps");

/* Cilium writes notifications to a perf event array; ciliary uses a BPF ring
 * buffer (one buffer for all CPUs, ordered, no per-CPU polling). The records
 * are Cilium's notification structs followed by up to 128 packet bytes. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} ciliary_events SEC(".maps");

#endif

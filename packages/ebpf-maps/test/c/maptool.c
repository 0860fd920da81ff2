/* A small C companion for the interop tests and benchmarks:
 *   maptool load OBJECT PIN_DIR  - load a BPF object, pinning its maps in PIN_DIR
 *   maptool write PIN_DIR        - write known entries into the Cilium maps pinned in PIN_DIR,
 *                                  filling Cilium's C structs field by field
 *   maptool bench PIN_PATH N R   - R rounds of N single updates (of existing keys), then of N single
 *                                  lookups, on a pinned policy map, then the same through batch calls;
 *                                  prints JSON rates
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cilium_structs.h"

static int load(const char *object, const char *dir)
{
	struct bpf_object *obj = bpf_object__open_file(object, NULL);
	struct bpf_map *map;
	struct bpf_program *prog;
	char path[512];

	if (!obj) {
		fprintf(stderr, "open %s: %s\n", object, strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		bpf_map__set_pin_path(map, path);
	}
	if (bpf_object__load(obj)) {
		fprintf(stderr, "load %s: %s\n", object, strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		snprintf(path, sizeof(path), "%s/%s", dir, bpf_program__name(prog));
		if (bpf_program__pin(prog, path)) {
			fprintf(stderr, "pin %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	/* Pins keep the maps and programs alive after this process exits. */
	return 0;
}

static int put(const char *dir, const char *name, const void *key, const void *value)
{
	char path[512];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(-fd));
		return 1;
	}
	err = bpf_map_update_elem(fd, key, value, BPF_ANY);
	if (err)
		fprintf(stderr, "update %s: %s\n", path, strerror(-err));
	return err ? 1 : 0;
}

static int write_entries(const char *dir)
{
	int failed = 0;
	int cpus = libbpf_num_possible_cpus();

	struct ipcache_key ipc_key = { .prefixlen = 32 + 16, .family = 1 };
	struct remote_endpoint_info ipc_value = { .sec_label = 1234, .key = 2 };
	ipc_key.ip4 = inet_addr("10.1.0.0");
	ipc_value.tunnel_endpoint = inet_addr("192.168.1.2");
	failed |= put(dir, "cilium_ipcache", &ipc_key, &ipc_value);

	struct ipcache_key ipc6_key = { .prefixlen = 32 + 64, .family = 2 };
	struct remote_endpoint_info ipc6_value = { .sec_label = 99 };
	inet_pton(AF_INET6, "fd00:10:244::", &ipc6_key.ip6);
	failed |= put(dir, "cilium_ipcache", &ipc6_key, &ipc6_value);

	struct policy_key pol_key = { .sec_label = 16777217, .dport = htons(8080), .protocol = 6, .egress = 1 };
	struct policy_entry pol_value = { .proxy_port = htons(15001), .deny = 0, .packets = 7, .bytes = 4096 };
	failed |= put(dir, "cilium_policy_00042", &pol_key, &pol_value);

	struct policy_key_v2 pol2_key = { .prefixlen = 48 + 8, .sec_label = 256, .egress = 0, .protocol = 17, .dport = htons(0x1300) };
	struct policy_entry_v2 pol2_value = { .proxy_port = 0, .deny = 1, .lpm_prefix_length = 8, .auth_type = 2, .precedence = 300, .cookie = 5 };
	failed |= put(dir, "cilium_policy_v2_00042", &pol2_key, &pol2_value);

	struct lb4_key svc_key = { .address = inet_addr("10.96.0.10"), .dport = htons(53), .backend_slot = 0, .scope = 1 };
	struct lb4_service svc_value = { .affinity_timeout = 10800, .count = 2, .rev_nat_index = htons(7), .flags = 16 | 2, .flags2 = 1 };
	failed |= put(dir, "cilium_lb4_services_v2", &svc_key, &svc_value);

	__u32 backend_id = 3;
	struct lb4_backend backend = { .address = inet_addr("10.0.1.5"), .port = htons(5353), .proto = 17, .flags = 1 };
	failed |= put(dir, "cilium_lb4_backends_v2", &backend_id, &backend);

	__u16 rev_nat_key = htons(7);
	struct lb4_reverse_nat rev_nat = { .address = inet_addr("10.96.0.10"), .port = htons(53) };
	failed |= put(dir, "cilium_lb4_reverse_nat", &rev_nat_key, &rev_nat);

	struct lb4_affinity_key aff_key = { .client_cookie = 0x1122334455ull, .rev_nat_id = htons(7), .netns_cookie = 1 };
	struct lb_affinity_val aff_value = { .last_used = 123456789, .backend_id = 3 };
	failed |= put(dir, "cilium_lb4_affinity", &aff_key, &aff_value);

	struct lb4_src_range_key range_key = { .prefixlen = 32 + 24, .rev_nat_id = htons(7), .addr = inet_addr("192.0.2.0") };
	__u8 range_value = 1;
	failed |= put(dir, "cilium_lb4_source_range", &range_key, &range_value);

	struct ipv4_ct_tuple tuple = { .daddr = inet_addr("10.0.0.2"), .saddr = inet_addr("10.0.0.1"), .dport = htons(80), .sport = htons(40000), .nexthdr = 6, .flags = 1 };
	struct ct_entry ct = { .rx_packets = 10, .rx_bytes = 1000, .tx_packets = 12, .tx_bytes = 1500, .lifetime = 21600, .seen_non_syn = 1, .node_port = 1, .rev_nat_index = htons(7), .ifindex = 4, .tx_flags_seen = 0x12, .rx_flags_seen = 0x18, .src_sec_id = 1234, .last_tx_report = 5, .last_rx_report = 6 };
	failed |= put(dir, "cilium_ct4_global", &tuple, &ct);

	struct ipv4_nat_entry nat = { .common = { .created = 99, .host_local = 1 }, .to_saddr = inet_addr("192.168.1.1"), .to_sport = htons(32768) };
	failed |= put(dir, "cilium_snat_v4_external", &tuple, &nat);

	struct egress_gw_policy_key egress_key = { .prefixlen = 32 + 16, .saddr = inet_addr("10.0.1.5"), .daddr = inet_addr("192.168.0.0") };
	struct egress_gw_policy_entry egress_value = { .egress_ip = inet_addr("172.18.0.10"), .gateway_ip = inet_addr("172.18.0.2") };
	failed |= put(dir, "cilium_egress_gw_policy_v4", &egress_key, &egress_value);

	struct endpoint_key tunnel_key = { .family = 1 };
	struct endpoint_key tunnel_value = { .family = 1, .key = 3 };
	tunnel_key.ip4 = inet_addr("10.244.1.0");
	tunnel_value.ip4 = inet_addr("192.168.1.2");
	failed |= put(dir, "cilium_tunnel_map", &tunnel_key, &tunnel_value);

	struct endpoint_key lxc_key = { .family = 1 };
	struct endpoint_info lxc = { .ifindex = 12, .lxc_id = 42, .flags = 0 };
	unsigned char mac[8] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0, 0 };
	unsigned char node_mac[8] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0, 0 };
	lxc_key.ip4 = inet_addr("10.0.0.7");
	memcpy(&lxc.mac, mac, 8);
	memcpy(&lxc.node_mac, node_mac, 8);
	failed |= put(dir, "cilium_lxc", &lxc_key, &lxc);

	struct lb6_key svc6_key = { .dport = htons(443), .backend_slot = 1 };
	struct lb6_service svc6_value = { .backend_id = 9, .rev_nat_index = htons(8) };
	inet_pton(AF_INET6, "2001:db8::10", &svc6_key.address);
	failed |= put(dir, "cilium_lb6_services_v2", &svc6_key, &svc6_value);

	__u32 backend6_id = 9;
	struct lb6_backend backend6 = { .port = htons(8443), .proto = 6, .flags = 2 };
	inet_pton(AF_INET6, "fd00::5", &backend6.address);
	failed |= put(dir, "cilium_lb6_backends_v2", &backend6_id, &backend6);

	__u16 rev_nat6_key = htons(8);
	struct lb6_reverse_nat rev_nat6 = { .port = htons(443) };
	inet_pton(AF_INET6, "2001:db8::10", &rev_nat6.address);
	failed |= put(dir, "cilium_lb6_reverse_nat", &rev_nat6_key, &rev_nat6);

	struct lb6_affinity_key aff6_key = { .rev_nat_id = htons(8), .netns_cookie = 0 };
	struct lb_affinity_val aff6_value = { .last_used = 42, .backend_id = 9 };
	inet_pton(AF_INET6, "fd00::77", &aff6_key.client_ip);
	failed |= put(dir, "cilium_lb6_affinity", &aff6_key, &aff6_value);

	struct lb6_src_range_key range6_key = { .prefixlen = 32 + 64, .rev_nat_id = htons(8) };
	inet_pton(AF_INET6, "2001:db8:1::", &range6_key.addr);
	failed |= put(dir, "cilium_lb6_source_range", &range6_key, &range_value);

	struct ipv6_ct_tuple tuple6 = { .dport = htons(443), .sport = htons(50000), .nexthdr = 6, .flags = 4 };
	inet_pton(AF_INET6, "fd00::2", &tuple6.daddr);
	inet_pton(AF_INET6, "fd00::1", &tuple6.saddr);
	struct ct_entry ct6 = { .rx_packets = 3, .backend_id = 9, .lifetime = 60, .proxy_redirect = 1, .dsr = 1, .rev_nat_index = htons(8), .src_sec_id = 77 };
	failed |= put(dir, "cilium_ct6_global", &tuple6, &ct6);
	tuple6.nexthdr = 17;
	failed |= put(dir, "cilium_ct_any6_global", &tuple6, &ct6);

	struct ipv6_nat_entry nat6 = { .common = { .created = 7 }, .to_dport = htons(8443) };
	inet_pton(AF_INET6, "fd00::5", &nat6.to_daddr);
	failed |= put(dir, "cilium_snat_v6_external", &tuple6, &nat6);

	{
		char path[512];
		__u32 slot = 1;
		int prog_fd;

		snprintf(path, sizeof(path), "%s/ciliary_tail_call", dir);
		prog_fd = bpf_obj_get(path);
		if (prog_fd < 0) {
			fprintf(stderr, "open %s: %s\n", path, strerror(-prog_fd));
			failed = 1;
		} else {
			failed |= put(dir, "cilium_calls_00042", &slot, &prog_fd);
			slot = 42;
			failed |= put(dir, "cilium_call_policy", &slot, &prog_fd);
		}
	}

	struct metrics_key metrics_key = { .reason = 133, .dir = 2 };
	struct metrics_value *metrics = calloc(cpus, sizeof(*metrics));
	for (int cpu = 0; cpu < cpus; cpu++) {
		metrics[cpu].count = cpu + 1;
		metrics[cpu].bytes = 100 * (cpu + 1);
	}
	failed |= put(dir, "cilium_metrics", &metrics_key, metrics);
	free(metrics);
	return failed;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int bench(const char *path, int n, int rounds)
{
	int fd = bpf_obj_get(path);
	struct policy_key *keys = calloc(n, sizeof(*keys));
	struct policy_entry *values = calloc(n, sizeof(*values));
	struct policy_entry value = { 0 };
	__u32 count, batch;
	double start, update_s, lookup_s, batch_update_s, batch_lookup_s;

	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(-fd));
		return 1;
	}
	for (int i = 0; i < n; i++)
		keys[i] = (struct policy_key){ .sec_label = 256 + i, .dport = htons(80), .protocol = 6 };
	/* A first pass inserts the keys; the timed pass updates them, as the JS benchmark does. */
	for (int i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &value, BPF_ANY))
			return 1;
	start = seconds();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (bpf_map_update_elem(fd, &keys[i], &value, BPF_ANY))
				return 1;
	update_s = (seconds() - start) / rounds;
	start = seconds();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (bpf_map_lookup_elem(fd, &keys[i], &value))
				return 1;
	lookup_s = (seconds() - start) / rounds;
	start = seconds();
	for (int r = 0; r < rounds; r++) {
		count = n;
		if (bpf_map_update_batch(fd, keys, values, &count, NULL))
			return 1;
	}
	batch_update_s = (seconds() - start) / rounds;
	/* One untimed pass first, so the timed reads of the whole map are warm like the other loops. */
	for (int pass = 0; pass < 2; pass++) {
		__u64 token = 0;
		void *in = NULL;
		__u32 total = 0;
		int err;

		start = seconds();
		do {
			count = n - total;
			err = bpf_map_lookup_batch(fd, in, &token, keys + total, values + total, &count, NULL);
			total += count;
			in = &token;
		} while (!err && total < (__u32)n);
		batch = total;
		batch_lookup_s = seconds() - start;
	}
	printf("{\"updatesPerSecond\":%.0f,\"lookupsPerSecond\":%.0f,\"batchUpdatesPerSecond\":%.0f,\"batchLookupsPerSecond\":%.0f,\"batchRead\":%u}\n",
	       n / update_s, n / lookup_s, n / batch_update_s, batch / batch_lookup_s, batch);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "load"))
		return load(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "write"))
		return write_entries(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "bench"))
		return bench(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: maptool load OBJECT PIN_DIR | write PIN_DIR | bench PIN_PATH N ROUNDS\n");
	return 2;
}

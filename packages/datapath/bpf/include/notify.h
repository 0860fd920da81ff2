/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CILIARY_NOTIFY_H
#define CILIARY_NOTIFY_H

#include "maps.h"

/* A notification record in the ring buffer: Cilium's struct, then the first
 * bytes of the packet (len_cap of them are valid). */
struct drop_record {
	struct drop_notify hdr;
	__u8 data[TRACE_PAYLOAD_LEN];
};
struct trace_record {
	struct trace_notify hdr;
	__u8 data[TRACE_PAYLOAD_LEN];
};
struct verdict_record {
	struct policy_verdict_notify hdr;
	__u8 data[TRACE_PAYLOAD_LEN];
};

static __always_inline __u16 capture_len(struct __sk_buff *ctx)
{
	__u32 len = ctx->len;
	return len < TRACE_PAYLOAD_LEN ? (__u16)len : TRACE_PAYLOAD_LEN;
}

/* Copies the packet's first `cap` bytes (1..TRACE_PAYLOAD_LEN) after the
 * header. The length is rebuilt as ((cap - 1) & 0x7f) + 1, a form whose
 * non-zero lower bound the verifier can prove whatever clang does to the
 * range checks. */
static __always_inline void capture_payload(struct __sk_buff *ctx, __u8 *dst, __u32 cap)
{
	__u32 last;

	if (cap == 0)
		return;
	last = (cap - 1) & (TRACE_PAYLOAD_LEN - 1);
	bpf_skb_load_bytes(ctx, 0, dst, last + 1);
}

static __always_inline void metrics_update(__u8 reason, __u8 dir, __u32 bytes)
{
	struct metrics_key key = { .reason = reason, .dir = dir };
	struct metrics_value *value = bpf_map_lookup_elem(&cilium_metrics, &key);

	if (value) {
		value->count += 1;
		value->bytes += bytes;
	} else {
		struct metrics_value init = { .count = 1, .bytes = bytes };
		bpf_map_update_elem(&cilium_metrics, &key, &init, BPF_NOEXIST);
	}
}

struct notify_capture_hdr {
	NOTIFY_CAPTURE_HDR
};

/* Fills the header every record starts with and copies the packet's first
 * bytes after the record's struct of `size` bytes. */
static __always_inline void fill_capture(struct __sk_buff *ctx, void *rec, __u32 size, __u8 type, __u8 subtype,
					 __u16 source)
{
	struct notify_capture_hdr *hdr = rec;
	__u16 cap = capture_len(ctx);

	__builtin_memset(rec, 0, size + TRACE_PAYLOAD_LEN);
	hdr->type = type;
	hdr->subtype = subtype;
	hdr->source = source;
	hdr->hash = bpf_get_hash_recalc(ctx);
	hdr->len_orig = ctx->len;
	hdr->len_cap = cap;
	hdr->version = NOTIFY_CAPTURE_VER;
	capture_payload(ctx, (__u8 *)rec + size, cap);
}

static __always_inline void send_drop(struct __sk_buff *ctx, __u16 source, int reason, __u32 src_label, __u32 dst_label,
				      __u8 dir)
{
	struct drop_record *rec;

	metrics_update((__u8)(-reason), dir, ctx->len);
	rec = bpf_ringbuf_reserve(&ciliary_events, sizeof(*rec), 0);
	if (!rec)
		return;
	fill_capture(ctx, rec, sizeof(rec->hdr), CILIUM_NOTIFY_DROP, (__u8)(-reason), source);
	rec->hdr.src_label = src_label;
	rec->hdr.dst_label = dst_label;
	bpf_ringbuf_submit(rec, 0);
}

static __always_inline void send_trace(struct __sk_buff *ctx, __u16 source, __u8 obs_point, __u32 src_label,
				       __u32 dst_label, __u16 dst_id, __u8 ct_reason, __u32 ifindex)
{
	struct trace_record *rec;

	rec = bpf_ringbuf_reserve(&ciliary_events, sizeof(*rec), 0);
	if (!rec)
		return;
	fill_capture(ctx, rec, sizeof(rec->hdr), CILIUM_NOTIFY_TRACE, obs_point, source);
	rec->hdr.src_label = src_label;
	rec->hdr.dst_label = dst_label;
	rec->hdr.dst_id = dst_id;
	rec->hdr.reason = ct_reason;
	rec->hdr.ifindex = ifindex;
	bpf_ringbuf_submit(rec, 0);
}

static __always_inline void send_policy_verdict(struct __sk_buff *ctx, __u16 source, __u32 remote_label,
						const struct packet *pkt, __u8 egress, const struct policy_result *res)
{
	struct verdict_record *rec;

	rec = bpf_ringbuf_reserve(&ciliary_events, sizeof(*rec), 0);
	if (!rec)
		return;
	fill_capture(ctx, rec, sizeof(rec->hdr), CILIUM_NOTIFY_POLICY_VERDICT, 0, source);
	rec->hdr.remote_label = remote_label;
	rec->hdr.verdict = res->verdict;
	rec->hdr.dst_port = bpf_ntohs(pkt->dport);
	rec->hdr.proto = pkt->proto;
	rec->hdr.dir = egress ? METRIC_EGRESS : METRIC_INGRESS;
	rec->hdr.match_type = res->match_type;
	bpf_ringbuf_submit(rec, 0);
}

#endif

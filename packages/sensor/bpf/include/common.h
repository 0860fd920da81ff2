/* Shared by every sensor object: Tetragon's message header and ops, the
 * process table (execve_map) and the event ring buffer. Objects loaded
 * separately pin these maps at the same paths, so they share one instance. */
#ifndef SENSOR_COMMON_H
#define SENSOR_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_endian.h>

/* Message ops, Tetragon's numbering (bpf/lib/msg_types.h). */
#define MSG_OP_EXECVE 5
#define MSG_OP_EXIT 7
#define MSG_OP_GENERIC_KPROBE 13
#define MSG_OP_GENERIC_TRACEPOINT 14
#define MSG_OP_CLONE 23

/* Process flag bits, Tetragon's values (pkg/api/flags.go). */
#define EVENT_EXECVE 0x01
#define EVENT_PROCFS 0x04
#define EVENT_TRUNC_ARGS 0x10
#define EVENT_ERROR_FILENAME 0x100
#define EVENT_ERROR_ARGS 0x200
#define EVENT_ROOT_CWD 0x1000
#define EVENT_ERROR_CWD 0x2000
#define EVENT_CLONE 0x4000

struct msg_common {
	__u8 op;
	__u8 flags;
	__u8 pad[2];
	__u32 size;
	__u64 ktime;
};

/* A process instance: thread-group id and the boot-time ns of its exec or clone. */
struct exec_key {
	__u32 pid;
	__u32 pad;
	__u64 ktime;
};

#define BINARY_MAX 256

struct execve_value {
	struct exec_key key;
	struct exec_key pkey;
	__u32 flags;
	__u32 pad;
	char bin[BINARY_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 32768);
	__type(key, __u32);
	__type(value, struct execve_value);
} execve_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
} events SEC(".maps");

/* Records the ring buffer had no room for, by message op. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 32);
	__type(key, __u32);
	__type(value, __u64);
} lost_events SEC(".maps");

/* Waking the reader is a cross-CPU wake-up of its event loop for every record (three per exec), which
 * cost an exec-heavy workload more than the programs themselves. Records are written without a wake-up
 * until this much is waiting; the reader also drains on a short timer, so a quiet tail is not held. */
#define WAKEUP_PENDING_BYTES (256 << 10)

static __always_inline void send_event(void *data, __u64 size, __u8 op)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= WAKEUP_PENDING_BYTES)
		flags = BPF_RB_FORCE_WAKEUP;

	if (bpf_ringbuf_output(&events, data, size, flags) < 0) {
		__u32 key = op & 31;
		__u64 *count = bpf_map_lookup_elem(&lost_events, &key);
		if (count)
			__sync_fetch_and_add(count, 1);
	}
}

static __always_inline __u32 current_tgid(void)
{
	return bpf_get_current_pid_tgid() >> 32;
}

#endif

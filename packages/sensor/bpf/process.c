// SPDX-License-Identifier: GPL-2.0
/* Process lifecycle as Tetragon's base sensor sees it: exec (tracepoint
 * sched/sched_process_exec), clone (once per thread group) and exit (when the
 * last thread of the group exits). Tetragon hooks the last two with kprobes on
 * wake_up_new_task and acct_process; here they are the BTF tracepoints
 * sched_process_fork and sched_process_exit (with its group_dead argument),
 * which work where kprobes and fentry do not (kernels without CONFIG_KPROBES,
 * or where BPF trampolines are refused). Each
 * keeps execve_map, the table of live processes keyed by thread-group id, and
 * sends a record through the events ring buffer. */
#include "common.h"
#include "path.h"

char LICENSE[] SEC("license") = "GPL";

#define EXEC_DATA 16384 /* power of two */
#define EXEC_SEGMENT (EXEC_DATA / 2 - 1)
#define FILENAME_MAX 1024
#define ARGS_MAX 4096
#define DOCKER_ID_LENGTH 128 /* Tetragon's msg_k8s.docker_id */

struct msg_exec {
	struct msg_common common;
	struct exec_key key;
	struct exec_key parent;
	struct exec_key cleanup; /* the entry this exec replaces, ktime 0 if none */
	__u32 tid;
	__u32 uid;
	__u32 auid;
	__u32 flags;
	__u32 size_filename;
	__u32 size_args;
	__u32 size_cwd;
	__u32 ppid;
	__u32 nspid; /* the pid in the process's own pid namespace (a container's) */
	__u32 pad;
	__u64 cgrpid; /* the cgroup v2 id, the inode of the cgroup's directory */
	char docker[DOCKER_ID_LENGTH]; /* the cgroup's directory name; the container id is in it */
	char data[EXEC_DATA];
};

struct msg_clone {
	struct msg_common common;
	struct exec_key key;
	struct exec_key parent;
	__u32 tid;
	__u32 flags;
};

struct msg_exit {
	struct msg_common common;
	struct exec_key key;
	__u32 code;
	__u32 tid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct msg_exec);
} exec_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct execve_value);
} value_heap SEC(".maps");

/* Returns the length copied, 0 for the root, -1 when the path is unknown. */
static __always_inline int copy_path(struct msg_exec *m, __u32 off, const struct path *path, int *truncated)
{
	char *str;
	int len = resolve_task_path(path, &str, truncated);
	if (len <= 0)
		return len;
	bpf_probe_read_kernel(m->data + (off & EXEC_SEGMENT), len & (PATH_BUF - 1), str);
	return len & (PATH_BUF - 1);
}

/* argv without argv[0], NUL-separated, as Tetragon sends it. */
static __always_inline __u32 copy_args(struct msg_exec *m, __u32 off, struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long start = BPF_CORE_READ(mm, arg_start);
	unsigned long end = BPF_CORE_READ(mm, arg_end);
	/* argv[0]'s length, read into the space the arguments will overwrite. */
	long first = bpf_probe_read_user_str(m->data + (off & EXEC_SEGMENT), ARGS_MAX, (void *)start);
	if (first < 0) {
		m->flags |= EVENT_ERROR_ARGS;
		return 0;
	}
	start += first;
	if (end <= start)
		return 0;
	unsigned long len = end - start;
	if (len > ARGS_MAX) {
		len = ARGS_MAX;
		m->flags |= EVENT_TRUNC_ARGS;
	}
	if (bpf_probe_read_user(m->data + (off & EXEC_SEGMENT), len & (2 * ARGS_MAX - 1), (void *)start) < 0) {
		m->flags |= EVENT_ERROR_ARGS;
		return 0;
	}
	if (m->flags & EVENT_TRUNC_ARGS) {
		/* end the cut argument so the cwd stays a separate field */
		m->data[(off + len - 1) & (EXEC_DATA - 1)] = 0;
	}
	return len;
}

/* The task's pid as its own pid namespace numbers it (a container's view). */
static __always_inline __u32 task_nspid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid = {};
	bpf_core_read(&upid, sizeof(upid), &pid->numbers[level & 31]);
	return upid.nr;
}

/* The cgroup the task is in on the default (v2) hierarchy: its id and its
 * kernfs name, from which user space parses the container id as Tetragon
 * does with its docker_id. */
static __always_inline void task_cgroup(struct msg_exec *m, struct task_struct *task)
{
	m->cgrpid = bpf_get_current_cgroup_id();
	const char *name = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, name);
	if (!name || bpf_probe_read_kernel_str(m->docker, DOCKER_ID_LENGTH, name) < 0)
		m->docker[0] = 0;
}

SEC("tracepoint/sched/sched_process_exec")
int event_execve(struct trace_event_raw_sched_process_exec *ctx)
{
	__u32 zero = 0;
	struct msg_exec *m = bpf_map_lookup_elem(&exec_heap, &zero);
	struct execve_value *value = bpf_map_lookup_elem(&value_heap, &zero);
	if (!m || !value)
		return 0;
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	__u64 now = bpf_ktime_get_boot_ns();

	m->common.op = MSG_OP_EXECVE;
	m->common.flags = 0;
	m->common.ktime = now;
	m->key.pid = tgid;
	m->key.pad = 0;
	m->key.ktime = now;
	m->tid = (__u32)pid_tgid;
	m->uid = BPF_CORE_READ(task, cred, euid.val);
	m->auid = BPF_CORE_READ(task, loginuid.val);
	m->flags = EVENT_EXECVE;
	m->ppid = BPF_CORE_READ(task, real_parent, tgid);
	m->nspid = task_nspid(task);
	m->pad = 0;
	task_cgroup(m, task);

	struct execve_value *prev = bpf_map_lookup_elem(&execve_map, &tgid);
	if (prev) {
		m->cleanup = prev->key;
		m->parent = prev->pkey;
		if (prev->flags & EVENT_CLONE)
			m->flags |= EVENT_CLONE;
	} else {
		__u32 ppid = m->ppid;
		struct execve_value *parent = bpf_map_lookup_elem(&execve_map, &ppid);
		m->cleanup.pid = 0;
		m->cleanup.pad = 0;
		m->cleanup.ktime = 0;
		if (parent) {
			m->parent = parent->key;
		} else {
			m->parent.pid = ppid;
			m->parent.pad = 0;
			m->parent.ktime = 0;
		}
	}

	/* bprm->filename, as the exec was asked for (maybe relative) */
	__u32 loc = ctx->__data_loc_filename & 0xffff;
	long n = bpf_probe_read_kernel_str(m->data, FILENAME_MAX, (char *)ctx + loc);
	__u32 off = 0;
	if (n > 0) {
		off = (n - 1) & (FILENAME_MAX - 1);
	} else {
		m->flags |= EVENT_ERROR_FILENAME;
	}
	m->size_filename = off;

	__u32 args = copy_args(m, off, task);
	m->size_args = args;
	off += args;

	int truncated = 0;
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	int cwd = copy_path(m, off, __builtin_preserve_access_index(&fs->pwd), &truncated);
	if (cwd < 0 || truncated) {
		m->flags |= EVENT_ERROR_CWD;
		cwd = 0;
	} else if (cwd == 0) {
		m->flags |= EVENT_ROOT_CWD;
	}
	m->size_cwd = cwd;
	off += cwd;

	__u32 size = offsetof(struct msg_exec, data) + (off & (EXEC_DATA - 1));
	m->common.size = size;
	send_event(m, size, MSG_OP_EXECVE);

	value->key = m->key;
	value->pkey = m->parent;
	value->flags = 0;
	value->pad = 0;
	if (m->data[0] == '/' || m->size_filename == 0) {
		bpf_probe_read_kernel_str(value->bin, BINARY_MAX, m->data);
	} else {
		/* a relative filename: matchBinaries wants the absolute path */
		struct file *exe = BPF_CORE_READ(task, mm, exe_file);
		char *str;
		int len = resolve_task_path(__builtin_preserve_access_index(&exe->f_path), &str, &truncated);
		value->bin[0] = 0;
		if (len > 0)
			bpf_probe_read_kernel_str(value->bin, BINARY_MAX, str);
	}
	bpf_map_update_elem(&execve_map, &tgid, value, BPF_ANY);
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(event_fork, struct task_struct *parent_task, struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	if (tgid != (__u32)BPF_CORE_READ(task, pid))
		return 0; /* a new thread, not a new process */
	__u32 zero = 0;
	struct execve_value *value = bpf_map_lookup_elem(&value_heap, &zero);
	if (!value)
		return 0;
	__u32 parent_tgid = current_tgid();
	struct execve_value *parent = bpf_map_lookup_elem(&execve_map, &parent_tgid);
	__u64 now = bpf_ktime_get_boot_ns();

	value->key.pid = tgid;
	value->key.pad = 0;
	value->key.ktime = now;
	value->flags = EVENT_CLONE;
	value->pad = 0;
	if (parent) {
		value->pkey = parent->key;
		bpf_probe_read_kernel_str(value->bin, BINARY_MAX, parent->bin);
	} else {
		value->pkey.pid = parent_tgid;
		value->pkey.pad = 0;
		value->pkey.ktime = 0;
		value->bin[0] = 0;
	}
	bpf_map_update_elem(&execve_map, &tgid, value, BPF_ANY);

	struct msg_clone m = {
		.common = { .op = MSG_OP_CLONE, .size = sizeof(struct msg_clone), .ktime = now },
		.key = value->key,
		.parent = value->pkey,
		.tid = BPF_CORE_READ(task, pid),
		.flags = EVENT_CLONE,
	};
	send_event(&m, sizeof(m), MSG_OP_CLONE);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(event_exit, struct task_struct *task, bool group_dead)
{
	if (!group_dead)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	struct execve_value *value = bpf_map_lookup_elem(&execve_map, &tgid);
	if (!value)
		return 0;
	__u64 now = bpf_ktime_get_boot_ns();
	struct msg_exit m = {
		.common = { .op = MSG_OP_EXIT, .size = sizeof(struct msg_exit), .ktime = now },
		.key = value->key,
		.code = BPF_CORE_READ(task, exit_code),
		.tid = (__u32)pid_tgid,
	};
	send_event(&m, sizeof(m), MSG_OP_EXIT);
	bpf_map_delete_elem(&execve_map, &tgid);
	return 0;
}

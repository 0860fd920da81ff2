// SPDX-License-Identifier: GPL-2.0
/* One hook of a TracingPolicy: reads the hook's arguments, applies its
 * selectors (matchPIDs, matchBinaries, matchNamespaces, matchCapabilities,
 * matchArgs) in the kernel, takes the first matching selector's action and
 * sends a Tetragon generic message. The hook's description is in .rodata,
 * written before load, so the verifier sees it as constants and drops every
 * path this hook does not use. The object is loaded once per hook. */
#include "common.h"
#include "path.h"
#include "generic.h"

char LICENSE[] SEC("license") = "GPL";

const volatile struct hook_config cfg = {};

#define GEN_DATA 16384 /* power of two: where an argument may start */
#define STRING_MAX 1024
#define BUF_MAX 1024
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define EINPROGRESS 115
#define AF_INET 2
#define AF_INET6 10
#define TS_COMPAT 0x0002 /* x86 thread_info.status: an ia32 system call, numbered differently */
#define CGROUP_FILTER_MAX 32768

struct msg_generic {
	struct msg_common common;
	struct exec_key current;
	__u32 hook_id;
	__u32 tid;
	__u8 action;
	__u8 selector; /* 1 + the matching selector, 0 when the hook has none */
	__u8 has_return;
	__u8 pad;
	__s32 action_arg;
	__s64 ret;
	__u32 data_len;
	__u32 pad2;
	char data[GEN_DATA + 8192];
};

/* What the selectors compare, per argument. */
struct arg_view {
	__u64 num;
	__u32 off; /* string bytes in msg->data */
	__u32 len;
	__u16 family;
	__u16 sport;
	__u16 dport;
	__u16 protocol;
	__u8 state;
	__u8 pad[7];
	__u8 saddr[16];
	__u8 daddr[16];
};

struct str_eq_key {
	__u8 id;
	__u8 pad;
	__u16 len;
	char str[STR_KEY + 1];
};

struct str_lpm_key {
	__u32 prefixlen;
	__u8 id;
	char str[STR_KEY];
};

/* What a file's path depends on, taken before its path is walked: if all of
 * it is unchanged, so is the path, and so are the selectors' verdicts on it.
 * Renames bump the dentry's d_seq (its own) or the generation (any: the
 * system calls and io_uring operations that rename or move mounts bump it
 * on entry and on completion); a chroot changes the root; a struct file,
 * dentry or inode freed and reused for another file changes the pointers,
 * the parent or the name's hash and length. */
struct file_identity {
	__u64 dentry;
	__u64 mnt;
	__u64 inode;
	__u64 parent;
	__u64 name; /* d_name.hash_len */
	__u64 root_dentry;
	__u64 root_mnt;
	__u64 generation;
	__u32 d_seq;
	__u32 pad;
};

struct verdict {
	__u64 file; /* the struct file this slot holds a verdict for */
	struct file_identity id;
	__u8 matches; /* bit i: selector i's matchArgs hold for this file */
	__u8 pad[7];
};

struct scratch {
	struct arg_view views[8]; /* MAX_ARGS used; 8 for masked indexes */
	struct verdict verdict;
	__u64 cached_file; /* the struct file of the cached argument, 0 when not cached */
	struct str_eq_key eq;
	struct str_lpm_key lpm;
	__u64 raw[8]; /* six system call arguments; 8 so a masked index stays inside */
	__u8 pre[MAX_SELECTORS];
	struct execve_value unknown; /* stands in for a process execve_map does not know */
};

struct sys_args {
	__u64 raw[6];
};

struct sock_info {
	__u16 family;
	__u16 type;
	__u16 protocol;
	__u8 state;
	__u8 pad;
	__u32 mark;
	__u32 priority;
	__u16 sport;
	__u16 dport;
	__u32 pad2;
	__u64 cookie;
	__u8 saddr[16];
	__u8 daddr[16];
};

struct sockaddr_info {
	__u16 family;
	__u16 port;
	__u32 pad;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct str_eq_key);
	__type(value, __u8);
} eq_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct str_lpm_key);
	__type(value, __u8);
} prefix_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct str_lpm_key);
	__type(value, __u8);
} postfix_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct sys_args);
} stash_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct msg_generic);
} msg_heap SEC(".maps");

/* Per struct file: what the selectors said about it, and the identity it was
 * said for. Direct-mapped by the file's address and per CPU: a look-up the
 * verifier inlines, no lock, and no other CPU writing a slot half-way (hook
 * programs run with preemption off). A collision only costs a walk. */
#define VERDICT_SLOTS 1024
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VERDICT_SLOTS);
	__type(key, __u32);
	__type(value, struct verdict);
} verdict_cache SEC(".maps");

#define GEN_PATHS 0   /* bumped by every rename or mount change seen */
#define GEN_URING 1   /* io_uring renames submitted and not yet completed */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} path_generation SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} uring_renames SEC(".maps");

/* TracingPolicyNamespaced: the cgroup ids (cgroup v2) of the policy's namespace, written by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CGROUP_FILTER_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_heap SEC(".maps");

struct sys_enter_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__u64 args[6];
};

struct sys_exit_ctx {
	__u64 common;
	__s32 nr;
	__u32 pad;
	__s64 ret;
};

/* ---- kernel objects behind raw values ---- */

/* Reads through a kernel pointer as plain loads the verifier guards (a fault
 * reads zero), not one bpf_probe_read_kernel call per field: what makes the
 * per-read(2) path of a file hook cheap. */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#define kernel_cast(ptr, type) ((type *)bpf_rdonly_cast((ptr), bpf_core_type_id_kernel(type)))

static __always_inline struct file *file_of_fd(__u64 fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	if (!fdt || fd >= fdt->max_fds)
		return NULL;
	/* The slot read as the first 8 bytes of a struct qstr (hash_len, a u64 since Linux 3.5): a guarded load
	 * the verifier accepts where a pointer to pointer needs a probe read call, and a plain number, which
	 * the verdict cache can hash (the verifier forbids arithmetic on a typed pointer). */
	struct file **fds = fdt->fd;
	return (struct file *)kernel_cast(&fds[fd], struct qstr)->hash_len;
}

static __always_inline struct sock *sock_of_file(struct file *file)
{
	if (!file)
		return NULL;
	umode_t mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

static __always_inline __u64 raw_value(void *ctx, struct scratch *s, const volatile struct arg_config *a,
				       __s32 nr, __s64 ret)
{
	switch (a->src) {
	case A_RAW:
		return s->raw[a->index & 7];
	case A_FD_FILE:
		return (__u64)file_of_fd(s->raw[a->index & 7]);
	case A_RET:
		return ret;
	case A_RET_FD_FILE:
		return (__u64)file_of_fd(ret);
	case A_MASK_RW:
		for (int i = 0; i < 4; i++)
			if (cfg.read_nrs[i] == (__u32)nr)
				return 4;
		return 2;
	case A_FD_SOCK:
		return (__u64)sock_of_file(file_of_fd(s->raw[a->index & 7]));
	case A_TP_FIELD: {
		__u64 v = 0;
		bpf_probe_read_kernel(&v, a->tp_size & 7 ? a->tp_size & 7 : 8, (char *)ctx + a->tp_offset);
		return v;
	}
	}
	return 0;
}

/* ---- argument encoders: each argument starts 8-byte aligned in msg->data ---- */

static __always_inline __u32 align8(__u32 n)
{
	return (n + 7) & ~7u;
}

static __always_inline __u32 put_num(struct msg_generic *m, __u32 off, struct arg_view *v, __u64 raw, __u8 type)
{
	__s64 n;
	switch (type) {
	case T_INT:
	case T_FD:
		n = (__s32)raw;
		break;
	case T_UINT:
		n = (__u32)raw;
		break;
	case T_SINT8:
		n = (__s8)raw;
		break;
	case T_UINT8:
		n = (__u8)raw;
		break;
	case T_SINT16:
		n = (__s16)raw;
		break;
	case T_UINT16:
		n = (__u16)raw;
		break;
	default:
		n = raw;
	}
	v->num = n;
	*(__s64 *)&m->data[off & (GEN_DATA - 1)] = n;
	return off + 8;
}

static __always_inline __u32 put_string(struct msg_generic *m, __u32 off, struct arg_view *v, const void *ptr,
					 int user)
{
	__u32 o = off & (GEN_DATA - 1);
	long n = -1;
	if (user)
		n = bpf_probe_read_user_str(&m->data[o + 4], STRING_MAX, ptr);
	if (n < 0)
		n = bpf_probe_read_kernel_str(&m->data[o + 4], STRING_MAX, ptr);
	__u32 len = n > 0 ? (n - 1) & (STRING_MAX - 1) : 0;
	*(__u32 *)&m->data[o] = len;
	v->off = o + 4;
	v->len = len;
	return off + align8(4 + len);
}

static __always_inline __u32 put_char_array(struct msg_generic *m, __u32 off, struct arg_view *v, void *ctx,
					    const volatile struct arg_config *a)
{
	__u32 o = off & (GEN_DATA - 1);
	__u32 size = a->tp_size & (STRING_MAX - 1);
	long n = bpf_probe_read_kernel_str(&m->data[o + 4], size + 1, (char *)ctx + a->tp_offset);
	__u32 len = n > 0 ? (n - 1) & (STRING_MAX - 1) : 0;
	*(__u32 *)&m->data[o] = len;
	v->off = o + 4;
	v->len = len;
	return off + align8(4 + len);
}

static __always_inline __u32 put_data_loc(struct msg_generic *m, __u32 off, struct arg_view *v, void *ctx,
					  const volatile struct arg_config *a)
{
	__u32 loc = 0;
	bpf_probe_read_kernel(&loc, sizeof(loc), (char *)ctx + a->tp_offset);
	return put_string(m, off, v, (char *)ctx + (loc & 0xffff), 0);
}

static __always_inline __u32 put_path(struct msg_generic *m, __u32 off, struct arg_view *v, const struct path *path,
				      __u32 mode)
{
	__u32 o = off & (GEN_DATA - 1);
	char *str;
	int truncated;
	int len = path ? resolve_task_path(path, &str, &truncated) : -1;
	if (len < 0)
		len = 0;
	len &= PATH_BUF - 1;
	*(__u32 *)&m->data[o] = len;
	*(__u32 *)&m->data[o + 4] = mode;
	if (len > 0)
		bpf_probe_read_kernel(&m->data[o + 8], len, str);
	v->off = o + 8;
	v->len = len;
	return off + align8(8 + len);
}

static __always_inline __u32 put_file(struct msg_generic *m, __u32 off, struct arg_view *v, struct file *file)
{
	if (!file)
		return put_path(m, off, v, NULL, 0);
	__u32 mode = BPF_CORE_READ(file, f_inode, i_mode);
	return put_path(m, off, v, __builtin_preserve_access_index(&file->f_path), mode);
}

static __always_inline __u32 put_char_buf(struct msg_generic *m, __u32 off, struct arg_view *v, const void *ptr,
					  __u64 size, int user, __u32 max)
{
	__u32 o = off & (GEN_DATA - 1);
	__u64 len = size < max ? size : max;
	len &= (BUF_MAX * 2 - 1);
	if (len > BUF_MAX)
		len = BUF_MAX;
	long err = user ? bpf_probe_read_user(&m->data[o + 8], len, ptr) : bpf_probe_read_kernel(&m->data[o + 8], len, ptr);
	if (err < 0)
		len = 0;
	*(__u32 *)&m->data[o] = size > 0xffffffff ? 0xffffffff : (__u32)size;
	*(__u32 *)&m->data[o + 4] = len;
	v->off = o + 8;
	v->len = len;
	return off + align8(8 + len);
}

static __always_inline __u32 put_sock(struct msg_generic *m, __u32 off, struct arg_view *v, struct sock *sk)
{
	__u32 o = off & (GEN_DATA - 1);
	struct sock_info *info = (void *)&m->data[o];
	__builtin_memset(info, 0, sizeof(*info));
	if (sk) {
		info->family = BPF_CORE_READ(sk, __sk_common.skc_family);
		info->type = BPF_CORE_READ(sk, sk_type);
		info->protocol = BPF_CORE_READ(sk, sk_protocol);
		info->state = BPF_CORE_READ(sk, __sk_common.skc_state);
		info->mark = BPF_CORE_READ(sk, sk_mark);
		info->priority = BPF_CORE_READ(sk, sk_priority);
		info->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		info->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		info->cookie = (__u64)sk;
		if (info->family == AF_INET) {
			BPF_CORE_READ_INTO(&info->saddr, sk, __sk_common.skc_rcv_saddr);
			BPF_CORE_READ_INTO(&info->daddr, sk, __sk_common.skc_daddr);
		} else if (info->family == AF_INET6) {
			BPF_CORE_READ_INTO(&info->saddr, sk, __sk_common.skc_v6_rcv_saddr);
			BPF_CORE_READ_INTO(&info->daddr, sk, __sk_common.skc_v6_daddr);
		}
	}
	v->family = info->family;
	v->sport = info->sport;
	v->dport = info->dport;
	v->protocol = info->protocol;
	v->state = info->state;
	__builtin_memcpy(v->saddr, info->saddr, 16);
	__builtin_memcpy(v->daddr, info->daddr, 16);
	return off + sizeof(struct sock_info);
}

static __always_inline __u32 put_sockaddr(struct msg_generic *m, __u32 off, struct arg_view *v, const void *ptr,
					  int user)
{
	__u32 o = off & (GEN_DATA - 1);
	struct sockaddr_info *info = (void *)&m->data[o];
	__builtin_memset(info, 0, sizeof(*info));
	struct sockaddr_in6 sa = {};
	long err = user ? bpf_probe_read_user(&sa, sizeof(sa), ptr) : bpf_probe_read_kernel(&sa, sizeof(sa), ptr);
	if (err == 0) {
		info->family = sa.sin6_family;
		info->port = bpf_ntohs(sa.sin6_port);
		if (sa.sin6_family == AF_INET)
			__builtin_memcpy(info->addr, &((struct sockaddr_in *)&sa)->sin_addr, 4);
		else if (sa.sin6_family == AF_INET6)
			__builtin_memcpy(info->addr, &sa.sin6_addr, 16);
	}
	v->family = info->family;
	v->sport = info->port;
	v->dport = info->port;
	__builtin_memcpy(v->saddr, info->addr, 16);
	__builtin_memcpy(v->daddr, info->addr, 16);
	return off + sizeof(struct sockaddr_info);
}

static __always_inline __u32 put_arg(void *ctx, struct msg_generic *m, struct scratch *s, __u32 off, int i,
				     __s32 nr, __s64 ret)
{
	const volatile struct arg_config *a = &cfg.args[i];
	struct arg_view *v = &s->views[i];
	if (off >= GEN_DATA)
		return off;
	if (a->type == T_CHAR_ARRAY)
		return put_char_array(m, off, v, ctx, a);
	if (a->type == T_DATA_LOC)
		return put_data_loc(m, off, v, ctx, a);
	/* the file the cache judged, not a second look at an fd another thread may have replaced since */
	__u64 raw = s->cached_file && i == cfg.verdict_cache - 1 ? s->cached_file : raw_value(ctx, s, a, nr, ret);
	switch (a->type) {
	case T_STRING:
		return put_string(m, off, v, (void *)raw, a->user);
	case T_CHAR_BUF: {
		__u64 size = a->size_arg ? s->raw[((__u32)a->size_arg - 1) & 7] : BUF_MAX;
		return put_char_buf(m, off, v, (void *)raw, size, a->user, a->max_data);
	}
	case T_FD:
		return put_file(m, off, v, file_of_fd(raw));
	case T_FILE:
		return put_file(m, off, v, (struct file *)raw);
	case T_PATH: {
		const struct path *path = (void *)raw;
		struct dentry *dentry = BPF_CORE_READ(path, dentry);
		return put_path(m, off, v, path, BPF_CORE_READ(dentry, d_inode, i_mode));
	}
	case T_SOCK:
		return put_sock(m, off, v, (struct sock *)raw);
	case T_SOCKADDR:
		return put_sockaddr(m, off, v, (void *)raw, a->user);
	default:
		return put_num(m, off, v, raw, a->type);
	}
}

/* ---- selectors ---- */

static __always_inline __u32 ns_inum(struct task_struct *task, __u8 ns)
{
	struct nsproxy *nsp = BPF_CORE_READ(task, nsproxy);
	switch (ns) {
	case NS_UTS:
		return BPF_CORE_READ(nsp, uts_ns, ns.inum);
	case NS_IPC:
		return BPF_CORE_READ(nsp, ipc_ns, ns.inum);
	case NS_MNT:
		return BPF_CORE_READ(nsp, mnt_ns, ns.inum);
	case NS_PID: {
		struct pid *pid = BPF_CORE_READ(task, thread_pid);
		unsigned int level = BPF_CORE_READ(pid, level);
		struct upid upid = {};
		bpf_probe_read_kernel(&upid, sizeof(upid),
				      (char *)pid + bpf_core_field_offset(struct pid, numbers) +
					      (level & 31) * sizeof(struct upid));
		return BPF_CORE_READ(upid.ns, ns.inum);
	}
	case NS_PID_FOR_CHILDREN:
		return BPF_CORE_READ(nsp, pid_ns_for_children, ns.inum);
	case NS_NET:
		return BPF_CORE_READ(nsp, net_ns, ns.inum);
	case NS_TIME:
		return BPF_CORE_READ(nsp, time_ns, ns.inum);
	case NS_TIME_FOR_CHILDREN:
		return BPF_CORE_READ(nsp, time_ns_for_children, ns.inum);
	case NS_CGROUP:
		return BPF_CORE_READ(nsp, cgroup_ns, ns.inum);
	case NS_USER:
		return BPF_CORE_READ(task, cred, user_ns, ns.inum);
	}
	return 0;
}

static __always_inline __u32 namespace_pid(struct task_struct *task)
{
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid upid = {};
	bpf_probe_read_kernel(&upid, sizeof(upid),
			      (char *)pid + bpf_core_field_offset(struct pid, numbers) + (level & 31) * sizeof(struct upid));
	return upid.nr;
}

static __always_inline int in_values(const volatile __u32 *values, __u8 n, __u32 x)
{
	for (int i = 0; i < MAX_VALUES; i++) {
		if (i >= n)
			break;
		if (values[i] == x)
			return 1;
	}
	return 0;
}

/* matchPIDs, matchBinaries, matchNamespaces, matchCapabilities: what needs no argument. */
static __always_inline int process_filters(int si, struct task_struct *task, struct execve_value *proc,
					   struct scratch *s)
{
	const volatile struct selector *sel = &cfg.selectors[si];
	if (sel->n_pids) {
		__u32 pid = sel->pid_ns ? namespace_pid(task) : current_tgid();
		int found = in_values(sel->pids, sel->n_pids, pid);
		if (found != (sel->pid_op == OP_IN))
			return 0;
	}
	if (sel->bin_op) {
		int found = 0;
		{
			__u8 op = sel->bin_op;
			if (op == OP_IN || op == OP_NOTIN) {
				__builtin_memset(&s->eq, 0, sizeof(s->eq));
				s->eq.id = si * 8 + BINARY_ARG;
				long n = bpf_probe_read_kernel_str(s->eq.str, STR_KEY + 1, proc->bin);
				s->eq.len = n > 0 ? n - 1 : 0;
				found = bpf_map_lookup_elem(&eq_map, &s->eq) != NULL;
			} else if (op == OP_PREFIX || op == OP_NOTPREFIX) {
				__builtin_memset(&s->lpm, 0, sizeof(s->lpm));
				s->lpm.id = si * 8 + BINARY_ARG;
				long n = bpf_probe_read_kernel_str(s->lpm.str, STR_KEY, proc->bin);
				s->lpm.prefixlen = 8 + 8 * (n > 0 ? n - 1 : 0);
				found = bpf_map_lookup_elem(&prefix_map, &s->lpm) != NULL;
			}
		}
		int negate = sel->bin_op == OP_NOTIN || sel->bin_op == OP_NOTPREFIX;
		if (found == negate)
			return 0;
	}
	for (int i = 0; i < MAX_NS; i++) {
		if (i >= sel->n_ns)
			break;
		const volatile struct ns_filter *f = &sel->ns[i];
		int found = in_values(f->values, f->nvalues, ns_inum(task, f->ns));
		if (found != (f->op == OP_IN))
			return 0;
	}
	for (int i = 0; i < MAX_CAPS; i++) {
		if (i >= sel->n_caps)
			break;
		const volatile struct cap_filter *f = &sel->caps[i];
		__u64 caps = f->type == CAPS_PERMITTED	  ? BPF_CORE_READ(task, cred, cap_permitted.val)
			     : f->type == CAPS_INHERITABLE ? BPF_CORE_READ(task, cred, cap_inheritable.val)
							   : BPF_CORE_READ(task, cred, cap_effective.val);
		int found = (caps & f->mask) != 0;
		if (found != (f->op == OP_IN))
			return 0;
	}
	return 1;
}

struct reverse_ctx {
	struct msg_generic *m;
	struct scratch *s;
	__u32 end; /* one past the last byte of the string in msg->data */
	__u32 len;
};

static long reverse_step(__u64 i, void *data)
{
	struct reverse_ctx *c = data;
	if (i >= c->len)
		return 1;
	__u32 at = c->end - 1 - i;
	if (at >= sizeof(c->m->data))
		return 1;
	c->s->lpm.str[i & (POSTFIX_MAX - 1)] = c->m->data[at];
	return 0;
}

static __always_inline int match_string(struct msg_generic *m, struct scratch *s, int id, __u8 op,
					struct arg_view *v)
{
	__u32 len = v->len;
	__u32 at = v->off;
	if (at > GEN_DATA + 4096)
		return 0; /* arguments start below GEN_DATA: never */
	if (op == OP_EQ || op == OP_NEQ) {
		if (len > STR_KEY)
			return 0;
		__builtin_memset(&s->eq, 0, sizeof(s->eq));
		s->eq.id = id;
		s->eq.len = len;
		bpf_probe_read_kernel(s->eq.str, len & STR_KEY, &m->data[at]);
		return bpf_map_lookup_elem(&eq_map, &s->eq) != NULL;
	}
	__builtin_memset(&s->lpm, 0, sizeof(s->lpm));
	s->lpm.id = id;
	if (op == OP_PREFIX || op == OP_NOTPREFIX) {
		__u32 n = len > STR_KEY ? STR_KEY : len;
		bpf_probe_read_kernel(s->lpm.str, n & STR_KEY, &m->data[at]);
		s->lpm.prefixlen = 8 + 8 * n;
		return bpf_map_lookup_elem(&prefix_map, &s->lpm) != NULL;
	}
	struct reverse_ctx c = { .m = m, .s = s, .end = v->off + len, .len = len > POSTFIX_MAX ? POSTFIX_MAX : len };
	bpf_loop(POSTFIX_MAX, reverse_step, &c, 0);
	s->lpm.prefixlen = 8 + 8 * c.len;
	return bpf_map_lookup_elem(&postfix_map, &s->lpm) != NULL;
}

static __always_inline int addr_in(const volatile struct match_value *mv, __u16 family, __u8 *addr)
{
	if (mv->family != family)
		return 0;
	__u8 bits = mv->prefix;
	for (int i = 0; i < 16; i++) {
		if (bits == 0)
			return 1;
		__u8 mask = bits >= 8 ? 0xff : (__u8)(0xff << (8 - bits));
		if ((addr[i] & mask) != (mv->addr[i] & mask))
			return 0;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return 1;
}

static __always_inline int is_string_type(__u8 type)
{
	return type == T_STRING || type == T_CHAR_BUF || type == T_FD || type == T_FILE || type == T_PATH ||
	       type == T_DATA_LOC || type == T_CHAR_ARRAY;
}

static __always_inline int is_signed_type(__u8 type)
{
	return type == T_INT || type == T_LONG || type == T_FD || type == T_SINT8 || type == T_SINT16;
}

static __always_inline int match_arg(struct msg_generic *m, struct scratch *s, int si, int mi)
{
	const volatile struct match_arg *ma = &cfg.selectors[si].args[mi];
	__u8 arg = ma->arg & 7; /* < MAX_ARGS; the mask keeps the verifier's bounds */
	__u8 op = ma->op;
	__u8 type = cfg.args[arg].type;
	struct arg_view *v = &s->views[arg];
	int negate = op == OP_NEQ || op == OP_NOTPREFIX || op == OP_NOTPOSTFIX || op == OP_NOTSPORT ||
		     op == OP_NOTDPORT || op == OP_NOTSADDR || op == OP_NOTDADDR || op == OP_NOTSPORTPRIV ||
		     op == OP_NOTDPORTPRIV;

	if (is_string_type(type))
		return match_string(m, s, si * 8 + mi, op, v) != negate;

	int found = 0;
	switch (op) {
	case OP_SPORTPRIV:
	case OP_NOTSPORTPRIV:
		return (v->sport < 1024) != negate;
	case OP_DPORTPRIV:
	case OP_NOTDPORTPRIV:
		return (v->dport < 1024) != negate;
	case OP_GT:
		return is_signed_type(type) ? (__s64)v->num > (__s64)ma->values[0].num : v->num > ma->values[0].num;
	case OP_LT:
		return is_signed_type(type) ? (__s64)v->num < (__s64)ma->values[0].num : v->num < ma->values[0].num;
	}
	for (int i = 0; i < MAX_VALUES; i++) {
		if (i >= ma->nvalues)
			break;
		const volatile struct match_value *mv = &ma->values[i];
		switch (op) {
		case OP_EQ:
		case OP_NEQ:
			found |= v->num == mv->num;
			break;
		case OP_MASK:
			found |= (v->num & mv->num) != 0;
			break;
		case OP_SPORT:
		case OP_NOTSPORT:
			found |= v->sport == mv->num;
			break;
		case OP_DPORT:
		case OP_NOTDPORT:
			found |= v->dport == mv->num;
			break;
		case OP_FAMILY:
			found |= v->family == mv->num;
			break;
		case OP_PROTOCOL:
			found |= v->protocol == mv->num;
			break;
		case OP_STATE:
			found |= v->state == mv->num;
			break;
		case OP_SADDR:
		case OP_NOTSADDR:
			found |= addr_in(mv, v->family, v->saddr);
			break;
		case OP_DADDR:
		case OP_NOTDADDR:
			found |= addr_in(mv, v->family, v->daddr);
			break;
		}
	}
	return found != negate;
}

static __always_inline int arg_filters(struct msg_generic *m, struct scratch *s, int si)
{
	const volatile struct selector *sel = &cfg.selectors[si];
	for (int i = 0; i < MAX_MATCH_ARGS; i++) {
		if (i >= sel->n_match_args)
			break;
		if (!match_arg(m, s, si, i))
			return 0;
	}
	return 1;
}

/* ---- per-file verdict cache ---- */

static __always_inline __u64 *generation_slot(__u32 which)
{
	return bpf_map_lookup_elem(&path_generation, &which);
}

static __always_inline void bump_generation(void)
{
	__u64 *g = generation_slot(GEN_PATHS);
	if (g)
		__sync_fetch_and_add(g, 1);
}

/* Fills `id` for `file`; 0 when it cannot vouch for the path (no file, a rename in progress). */
static __always_inline int take_identity(struct file *file, struct file_identity *id)
{
	if (!file)
		return 0;
	__u64 *g = generation_slot(GEN_PATHS);
	if (!g)
		return 0;
	id->generation = *(volatile __u64 *)g; /* before anything the path is read from */
	struct file *f = kernel_cast(file, struct file);
	struct dentry *dentry = f->f_path.dentry;
	if (!dentry)
		return 0;
	id->d_seq = dentry->d_seq.seqcount.sequence;
	if (id->d_seq & 1)
		return 0; /* being renamed */
	id->dentry = (__u64)dentry;
	id->mnt = (__u64)f->f_path.mnt;
	id->inode = (__u64)f->f_inode;
	id->parent = (__u64)dentry->d_parent;
	id->name = dentry->d_name.hash_len;
	struct task_struct *task = bpf_get_current_task_btf();
	struct fs_struct *fs = task->fs;
	if (!fs)
		return 0;
	id->root_dentry = (__u64)fs->root.dentry;
	id->root_mnt = (__u64)fs->root.mnt;
	id->pad = 0;
	return 1;
}

static __always_inline int same_identity(const struct file_identity *a, const struct file_identity *b)
{
	return a->dentry == b->dentry && a->mnt == b->mnt && a->inode == b->inode && a->parent == b->parent &&
	       a->name == b->name && a->root_dentry == b->root_dentry && a->root_mnt == b->root_mnt &&
	       a->generation == b->generation && a->d_seq == b->d_seq;
}

static __always_inline struct verdict *verdict_slot(__u64 file)
{
	/* struct file comes from a slab of 256-byte objects: the bits above those pick the slot */
	__u32 slot = ((file >> 8) ^ (file >> 18)) & (VERDICT_SLOTS - 1);
	return bpf_map_lookup_elem(&verdict_cache, &slot);
}

/* 1 when the cache says no selector whose process filters passed matches this file. */
static __always_inline int cached_miss(struct scratch *s, __u64 file)
{
	struct verdict *v = verdict_slot(file);
	if (!v || v->file != file || !same_identity(&v->id, &s->verdict.id))
		return 0;
	for (int i = 0; i < MAX_SELECTORS; i++) {
		if (i >= cfg.n_selectors)
			break;
		if (s->pre[i] && (v->matches >> i) & 1)
			return 0;
	}
	return 1;
}

/* ---- the hook ---- */

static __always_inline struct execve_value *current_process(struct scratch *s, __u32 tgid)
{
	struct execve_value *proc = bpf_map_lookup_elem(&execve_map, &tgid);
	if (!proc) {
		/* never a null pointer: the compiler may compute &proc->bin early */
		proc = &s->unknown;
		proc->key.pid = tgid;
		proc->key.pad = 0;
		proc->key.ktime = 0;
		proc->bin[0] = 0;
	}
	return proc;
}

static __always_inline int run_hook(void *ctx, struct scratch *s, __s32 nr, __s64 ret)
{
	if (cfg.namespaced) {
		/* a namespaced policy: only the cgroups of its namespace's pods, checked before anything else */
		__u64 cgroup = bpf_get_current_cgroup_id();
		if (!bpf_map_lookup_elem(&cgroup_filter, &cgroup))
			return 0;
	}
	__u32 zero = 0;
	struct msg_generic *m = bpf_map_lookup_elem(&msg_heap, &zero);
	if (!m)
		return 0;
	struct task_struct *task = (void *)bpf_get_current_task();
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	/* the process table is read first only when a selector compares the binary; else once an event is sent */
	int wants_binary = 0;
	for (int i = 0; i < MAX_SELECTORS; i++) {
		if (i >= cfg.n_selectors)
			break;
		wants_binary |= cfg.selectors[i].bin_op != 0;
	}
	struct execve_value *proc = wants_binary ? current_process(s, tgid) : &s->unknown;

	/* cheap filters first: no argument is read for a process no selector wants */
	int any = cfg.n_selectors == 0;
	for (int i = 0; i < MAX_SELECTORS; i++) {
		if (i >= cfg.n_selectors)
			break;
		s->pre[i] = process_filters(i, task, proc, s);
		any |= s->pre[i];
	}
	if (!any)
		return 0;

	/* a file this hook has judged before, unchanged since: no path walk when it matched nothing */
	__u64 cached_file = 0;
	if (cfg.verdict_cache) {
		const volatile struct arg_config *a = &cfg.args[(cfg.verdict_cache - 1) & 7];
		cached_file = raw_value(ctx, s, a, nr, ret);
		if (!take_identity((struct file *)cached_file, &s->verdict.id))
			cached_file = 0;
		else if (cached_miss(s, cached_file))
			return 0;
	}
	s->cached_file = cached_file;

	__u32 off = 0;
	for (int i = 0; i < MAX_ARGS; i++) {
		if (i >= cfg.n_args)
			break;
		off = put_arg(ctx, m, s, off, i, nr, ret);
	}
	if (cfg.require_tcp && (s->views[0].protocol != IPPROTO_TCP || s->views[0].family == 0))
		return 0;

	__u8 action = ACTION_POST;
	__s32 action_arg = 0;
	__u8 selector = 0;
	if (cfg.n_selectors) {
		/* with the cache on, every selector's verdict on the file is worked out so it can be stored */
		__u8 matches = 0;
		for (int i = 0; i < MAX_SELECTORS; i++) {
			if (i >= cfg.n_selectors)
				break;
			if (!s->pre[i] && !cached_file)
				continue;
			if (!arg_filters(m, s, i))
				continue;
			matches |= 1 << i;
			if (s->pre[i] && !selector) {
				action = cfg.selectors[i].action;
				action_arg = cfg.selectors[i].action_arg;
				selector = i + 1;
				if (!cached_file)
					break;
			}
		}
		struct verdict *slot = cached_file ? verdict_slot(cached_file) : NULL;
		if (slot) {
			s->verdict.file = cached_file;
			s->verdict.matches = matches;
			__builtin_memcpy(slot, &s->verdict, sizeof(*slot));
		}
		if (!selector)
			return 0;
	}

	if (action == ACTION_SIGKILL)
		bpf_send_signal(9);
	else if (action == ACTION_SIGNAL)
		bpf_send_signal(action_arg);
	if (action == ACTION_NOPOST)
		return 0;
	if (!wants_binary)
		proc = current_process(s, tgid);

	__u64 now = bpf_ktime_get_boot_ns();
	m->common.op = cfg.source == SRC_TRACEPOINT ? MSG_OP_GENERIC_TRACEPOINT : MSG_OP_GENERIC_KPROBE;
	m->common.flags = 0;
	m->common.ktime = now;
	m->current = proc->key;
	m->hook_id = cfg.hook_id;
	m->tid = (__u32)pid_tgid;
	m->action = action;
	m->selector = selector;
	m->has_return = cfg.has_return;
	m->action_arg = action_arg;
	m->ret = ret;
	off &= (GEN_DATA * 2 - 1);
	m->data_len = off;
	__u32 size = offsetof(struct msg_generic, data) + off;
	if (size > sizeof(*m))
		size = sizeof(*m);
	m->common.size = size;
	send_event(m, size, m->common.op);
	return 0;
}

static __always_inline struct scratch *scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&scratch_heap, &zero);
}

SEC("tracepoint")
int hook_sys_enter(struct sys_enter_ctx *ctx)
{
	if (cfg.source != SRC_SYS_ENTER && !(cfg.source == SRC_SYS_EXIT && cfg.needs_stash))
		return 0;
	struct sys_args args = {};
	bpf_probe_read_kernel(&args.raw, sizeof(args.raw), &ctx->args);
	if (cfg.source == SRC_SYS_EXIT) {
		__u64 id = bpf_get_current_pid_tgid();
		bpf_map_update_elem(&stash_map, &id, &args, BPF_ANY);
		return 0;
	}
	struct scratch *s = scratch();
	if (!s)
		return 0;
	__builtin_memcpy(s->raw, args.raw, sizeof(args.raw));
	return run_hook(ctx, s, ctx->nr, 0);
}

SEC("tracepoint")
int hook_sys_exit(struct sys_exit_ctx *ctx)
{
	if (cfg.source != SRC_SYS_EXIT)
		return 0;
	__s64 ret = ctx->ret;
	struct scratch *s = scratch();
	if (!s)
		return 0;
	if (cfg.needs_stash) {
		__u64 id = bpf_get_current_pid_tgid();
		struct sys_args *args = bpf_map_lookup_elem(&stash_map, &id);
		if (!args)
			return 0;
		__builtin_memcpy(s->raw, args->raw, sizeof(args->raw));
		bpf_map_delete_elem(&stash_map, &id);
	}
	if (cfg.ret_filter == RET_FD && ret < 0)
		return 0;
	if (cfg.ret_filter == RET_CONNECT && ret != 0 && ret != -EINPROGRESS)
		return 0;
	return run_hook(ctx, s, ctx->nr, ret);
}

SEC("tracepoint")
int hook_tracepoint(void *ctx)
{
	if (cfg.source != SRC_TRACEPOINT)
		return 0;
	struct scratch *s = scratch();
	if (!s)
		return 0;
	return run_hook(ctx, s, -1, 0);
}

/* security_file_permission on x86-64: the raw sys_enter tracepoint costs a
 * fraction of a syscalls/sys_enter_* event (no record is built for it), which
 * matters on read(2) and write(2), the hottest system calls there are. */
SEC("tp_btf/sys_enter")
int BPF_PROG(hook_raw_sys_enter, struct pt_regs *regs, long id)
{
	if (cfg.source != SRC_RAW_SYS_ENTER)
		return 0;
	int observed = 0;
	for (int i = 0; i < MAX_NRS; i++) {
		if (i >= cfg.n_nrs)
			break;
		observed |= (long)cfg.nrs[i] == id;
	}
	if (!observed)
		return 0;
#if defined(__TARGET_ARCH_x86)
	struct task_struct *task = bpf_get_current_task_btf();
	if (task->thread_info.status & TS_COMPAT)
		return 0; /* ia32 system calls have other numbers; syscalls/ tracepoints skip them too */
	struct scratch *s = scratch();
	if (!s)
		return 0;
	s->raw[0] = regs->di;
	s->raw[1] = regs->si;
	s->raw[2] = regs->dx;
	s->raw[3] = regs->r10;
	s->raw[4] = regs->r8;
	s->raw[5] = regs->r9;
	return run_hook(ctx, s, id, 0);
#else
	return 0;
#endif
}

/* Attached to the system calls that rename or move mounts, on entry and exit. */
SEC("tracepoint")
int path_change(void *ctx)
{
	if (cfg.verdict_cache)
		bump_generation();
	return 0;
}

SEC("tracepoint")
int uring_submit(struct trace_event_raw_io_uring_submit_req *ctx)
{
	if (!cfg.verdict_cache || !bpf_core_type_exists(struct trace_event_raw_io_uring_submit_req))
		return 0;
	if (ctx->opcode != bpf_core_enum_value(enum io_uring_op, IORING_OP_RENAMEAT))
		return 0;
	__u64 req = (__u64)ctx->req;
	__u8 one = 1;
	bpf_map_update_elem(&uring_renames, &req, &one, BPF_ANY);
	__u64 *pending = generation_slot(GEN_URING);
	if (pending)
		__sync_fetch_and_add(pending, 1);
	bump_generation();
	return 0;
}

SEC("tracepoint")
int uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	if (!cfg.verdict_cache || !bpf_core_type_exists(struct trace_event_raw_io_uring_complete))
		return 0;
	__u64 *pending = generation_slot(GEN_URING);
	if (!pending || *(volatile __u64 *)pending == 0)
		return 0;
	__u64 req = (__u64)ctx->req;
	if (!bpf_map_lookup_elem(&uring_renames, &req))
		return 0;
	bpf_map_delete_elem(&uring_renames, &req);
	__sync_fetch_and_add(pending, -1);
	bump_generation();
	return 0;
}

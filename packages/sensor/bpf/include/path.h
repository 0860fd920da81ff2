/* Path of a struct path as d_path() would print it, relative to the task's
 * root, built by walking dentries and crossing mounts. BPF programs on
 * tracepoints and kprobes cannot call bpf_d_path, so the walk is done here,
 * bounded by bpf_loop so the verifier checks one step, not every depth. */
#ifndef SENSOR_PATH_H
#define SENSOR_PATH_H

#include "common.h"

#define PATH_BUF 4096 /* power of two; a path is at most PATH_BUF - 1 bytes */
#define PATH_DEPTH 256
#define NAME_MASK 255

struct path_buffer {
	char data[PATH_BUF + NAME_MASK + 2];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct path_buffer);
} path_heap SEC(".maps");

struct path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	char *buf;
	int pos; /* the path is buf[pos, PATH_BUF) */
	int truncated;
};

static __always_inline struct mount *real_mount(struct vfsmount *vfsmnt)
{
	return (struct mount *)((char *)vfsmnt - bpf_core_field_offset(struct mount, mnt));
}

static long path_walk_step(__u64 index, void *data)
{
	struct path_walk *w = data;
	struct dentry *dentry = w->dentry;
	struct vfsmount *vfsmnt = w->vfsmnt;

	if (dentry == w->root_dentry && vfsmnt == w->root_mnt)
		return 1;
	struct dentry *mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	struct dentry *parent = BPF_CORE_READ(dentry, d_parent);
	if (dentry == mnt_root || dentry == parent) {
		if (dentry != mnt_root)
			return 1; /* a detached tree: stop at its top */
		struct mount *mnt = real_mount(vfsmnt);
		struct mount *mnt_parent = BPF_CORE_READ(mnt, mnt_parent);
		if (mnt == mnt_parent)
			return 1; /* the global root */
		w->dentry = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->vfsmnt = (struct vfsmount *)((char *)mnt_parent + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	struct qstr name;
	BPF_CORE_READ_INTO(&name, dentry, d_name);
	__u32 len = name.len & NAME_MASK;
	int pos = w->pos - (int)len - 1;
	if (pos < 0) {
		w->truncated = 1;
		return 1;
	}
	char *buf = w->buf;
	bpf_probe_read_kernel(buf + (pos & (PATH_BUF - 1)) + 1, len, name.name);
	buf[pos & (PATH_BUF - 1)] = '/';
	w->pos = pos;
	w->dentry = parent;
	return 0;
}

/* Resolves `path` against `root` into the per-CPU path buffer. Returns the
 * start of the string in *out and its length (0 for the root itself). */
static __always_inline int resolve_path(const struct path *path, const struct path *root, char **out, int *truncated)
{
	__u32 zero = 0;
	struct path_buffer *pb = bpf_map_lookup_elem(&path_heap, &zero);
	if (!pb)
		return -1;
	struct path_walk w = {
		.dentry = BPF_CORE_READ(path, dentry),
		.vfsmnt = BPF_CORE_READ(path, mnt),
		.root_dentry = BPF_CORE_READ(root, dentry),
		.root_mnt = BPF_CORE_READ(root, mnt),
		.buf = pb->data,
		.pos = PATH_BUF - 1,
		.truncated = 0,
	};
	bpf_loop(PATH_DEPTH, path_walk_step, &w, 0);
	int pos = w.pos & (PATH_BUF - 1);
	*out = pb->data + pos;
	*truncated = w.truncated;
	return PATH_BUF - 1 - pos;
}

static __always_inline int resolve_task_path(const struct path *path, char **out, int *truncated)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct fs_struct *fs = BPF_CORE_READ(task, fs);
	if (!fs)
		return -1;
	struct path *root = __builtin_preserve_access_index(&fs->root);
	return resolve_path(path, root, out, truncated);
}

#endif

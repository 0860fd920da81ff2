/* Layout shared by generic.c and the TypeScript encoder of hook configs
 * (src/policy/hook-config.ts): one hook of a TracingPolicy, its arguments,
 * selectors and actions, written into the object's .rodata before load. */
#ifndef SENSOR_GENERIC_H
#define SENSOR_GENERIC_H

#define MAX_ARGS 5
#define MAX_SELECTORS 5
#define MAX_MATCH_ARGS 5
#define MAX_VALUES 4
#define MAX_PIDS 4
#define MAX_NS 10
#define MAX_CAPS 3
#define STR_KEY 255
#define POSTFIX_MAX 128
#define BINARY_ARG 7 /* the match index of matchBinaries in the string maps */

/* Where a hook fires. */
#define SRC_SYS_ENTER 1 /* syscalls/sys_enter_*: arguments of the system call */
#define SRC_SYS_EXIT 2	/* syscalls/sys_exit_*: arguments stashed at entry, plus the return value */
#define SRC_TRACEPOINT 3 /* any tracepoint: fields of the record */
#define SRC_RAW_SYS_ENTER 4 /* raw tracepoint sys_enter: every system call, those in nrs[] kept (x86-64) */

#define MAX_NRS 8

/* Which return values of a SRC_SYS_EXIT hook fire it. */
#define RET_ANY 0
#define RET_FD 1	/* >= 0: an fd was installed */
#define RET_CONNECT 2 /* 0 or -EINPROGRESS: a connection was started */

/* Where an argument's raw value comes from. */
#define A_RAW 0		 /* system call argument `index` */
#define A_FD_FILE 1	 /* struct file * of the fd in system call argument `index` */
#define A_RET 2		 /* the return value */
#define A_RET_FD_FILE 3	 /* struct file * of the fd returned */
#define A_MASK_RW 4	 /* MAY_READ (4) for the read family of system calls, MAY_WRITE (2) else */
#define A_FD_SOCK 5	 /* struct sock * of the socket fd in system call argument `index` */
#define A_TP_FIELD 6	 /* tracepoint field at tp_offset, tp_size bytes */

/* Argument types. */
#define T_INT 1
#define T_UINT 2
#define T_SIZE 3
#define T_LONG 4
#define T_STRING 5
#define T_CHAR_BUF 6
#define T_FD 7
#define T_FILE 8
#define T_PATH 9
#define T_SOCK 10
#define T_SOCKADDR 11
#define T_DATA_LOC 12	/* tracepoint __data_loc string */
#define T_CHAR_ARRAY 13 /* tracepoint char[N] field */
#define T_SINT8 14
#define T_UINT8 15
#define T_SINT16 16
#define T_UINT16 17

/* matchArgs operators. */
#define OP_EQ 1
#define OP_NEQ 2
#define OP_PREFIX 3
#define OP_NOTPREFIX 4
#define OP_POSTFIX 5
#define OP_NOTPOSTFIX 6
#define OP_GT 7
#define OP_LT 8
#define OP_MASK 9
#define OP_SPORT 10
#define OP_NOTSPORT 11
#define OP_DPORT 12
#define OP_NOTDPORT 13
#define OP_SADDR 14
#define OP_NOTSADDR 15
#define OP_DADDR 16
#define OP_NOTDADDR 17
#define OP_SPORTPRIV 18
#define OP_NOTSPORTPRIV 19
#define OP_DPORTPRIV 20
#define OP_NOTDPORTPRIV 21
#define OP_FAMILY 22
#define OP_PROTOCOL 23
#define OP_STATE 24
#define OP_IN 25 /* matchPIDs, matchNamespaces, matchCapabilities, matchBinaries */
#define OP_NOTIN 26

/* Actions: Tetragon's KprobeAction numbers. */
#define ACTION_POST 1
#define ACTION_SIGKILL 3
#define ACTION_NOPOST 9
#define ACTION_SIGNAL 10

/* Namespaces of matchNamespaces. */
#define NS_UTS 1
#define NS_IPC 2
#define NS_MNT 3
#define NS_PID 4
#define NS_PID_FOR_CHILDREN 5
#define NS_NET 6
#define NS_TIME 7
#define NS_TIME_FOR_CHILDREN 8
#define NS_CGROUP 9
#define NS_USER 10

/* Capability sets of matchCapabilities. */
#define CAPS_EFFECTIVE 0
#define CAPS_INHERITABLE 1
#define CAPS_PERMITTED 2

struct arg_config {
	__u8 type;
	__u8 src;
	__u8 index;
	__u8 size_arg; /* char_buf: 1 + the system call argument holding the size; 0 for none */
	__u8 user;     /* pointers are user memory (system call arguments) */
	__u8 pad;
	__u16 tp_offset;
	__u16 tp_size;
	__u16 max_data;
	__u32 pad2;
}; /* 16 */

struct match_value {
	__u64 num;
	__u8 addr[16];
	__u8 prefix; /* CIDR prefix length */
	__u8 family; /* 2 or 10 */
	__u8 pad[6];
}; /* 32 */

struct match_arg {
	__u8 arg;
	__u8 op;
	__u8 nvalues;
	__u8 pad[5];
	struct match_value values[MAX_VALUES];
}; /* 136 */

struct ns_filter {
	__u8 ns;
	__u8 op;
	__u8 nvalues;
	__u8 pad;
	__u32 values[MAX_VALUES];
}; /* 20 */

struct cap_filter {
	__u8 type;
	__u8 op;
	__u8 pad[6];
	__u64 mask;
}; /* 16 */

struct selector {
	__u8 n_match_args;
	__u8 n_pids;
	__u8 pid_op;
	__u8 pid_ns; /* isNamespacePID */
	__u8 bin_op; /* 0, OP_IN, OP_NOTIN, OP_PREFIX, OP_NOTPREFIX, OP_POSTFIX, OP_NOTPOSTFIX */
	__u8 n_ns;
	__u8 n_caps;
	__u8 action;
	__s32 action_arg;
	__u32 pad;
	__u32 pids[MAX_PIDS];
	struct match_arg args[MAX_MATCH_ARGS];
	struct ns_filter ns[MAX_NS];
	struct cap_filter caps[MAX_CAPS];
};

struct hook_config {
	__u32 hook_id;
	__u8 source;
	__u8 n_args;
	__u8 n_selectors;
	__u8 has_return;
	__u8 return_type;
	__u8 needs_stash; /* SRC_SYS_EXIT reads system call arguments */
	__u8 ret_filter;  /* RET_* below */
	__u8 require_tcp; /* the first argument must be a TCP socket (tcp_connect) */
	__u32 read_nrs[4]; /* system call numbers of the read family, for A_MASK_RW */
	struct arg_config args[MAX_ARGS];
	struct selector selectors[MAX_SELECTORS];
	__u8 verdict_cache; /* 1 + the file argument whose selector verdicts are cached per struct file; 0: none */
	__u8 namespaced;    /* TracingPolicyNamespaced: only tasks whose cgroup id is in cgroup_filter */
	__u8 n_nrs;
	__u8 pad3[5];
	__u32 nrs[MAX_NRS]; /* SRC_RAW_SYS_ENTER: the system call numbers this hook observes */
};

#endif

// Export lines shaped like Tetragon's (field order, canonical values), built from the values of
// Tetragon's published examples. Each line is exactly what Tetragon's protojson writer emits.

const GKE_POD =
  '{"namespace":"default","name":"netperf-server","container":{"id":"containerd://19a02291e106ce6227b684197be232e9f1b3e0b2c1c7f9a4e8e3b2f1d0c9b8a7","name":"netperf","image":{"id":"docker.io/cilium/netperf@sha256:7b1e1b8c2e8c1d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f","name":"docker.io/cilium/netperf:latest"},"start_time":"2022-10-18T03:16:17Z","pid":13},"pod_labels":{"app":"netperf","tier":"server"},"workload":"netperf-server","workload_kind":"Deployment"}';

const GKE_PARENT =
  '{"exec_id":"Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1NzcxMjQzMDIyOjY4NTk4","pid":68598,"uid":0,"cwd":"/","binary":"/usr/bin/containerd-shim-runc-v2","arguments":"-namespace k8s.io -id 19a02291e106ce6227b684197be232e","flags":"execve clone","start_time":"2022-10-18T03:16:17.020171234Z","auid":4294967295,"parent_exec_id":"Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjE6MA==","tid":68598}';

export const EXEC_POD = `{"process_exec":{"process":{"exec_id":"Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1ODIyNjI0ODU2OjY4Nzkw","pid":68790,"uid":0,"cwd":"/","binary":"/usr/bin/netserver","arguments":"-D","flags":"execve rootcwd clone","start_time":"2022-10-18T03:16:18.273546829Z","auid":4294967295,"pod":${GKE_POD},"docker":"19a02291e106ce6227b684197be232e","parent_exec_id":"Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1NzcxMjQzMDIyOjY4NTk4","refcnt":1,"tid":68790},"parent":${GKE_PARENT}},"node_name":"gke-michi-22038-default-pool-43730fab-l8zr","time":"2022-10-18T03:16:18.273546829Z"}`;

export const EXEC_HOST = `{"process_exec":{"process":{"exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzI0NTQ1NDM6NTgyMw==","pid":5823,"uid":1000,"cwd":"/home/alice","binary":"/usr/bin/curl","arguments":"-s https://cilium.io","flags":"execve clone","start_time":"2024-04-14T02:18:14.100Z","auid":1000,"parent_exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzEyMjEyMzQ6NTgwMQ==","tid":5823,"in_init_tree":false},"parent":{"exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzEyMjEyMzQ6NTgwMQ==","pid":5801,"uid":1000,"cwd":"/home/alice","binary":"/bin/bash","flags":"execve","start_time":"2024-04-14T02:17:02.551Z","auid":1000,"tid":5801}},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.100Z"}`;

export const EXIT_STATUS = `{"process_exit":{"process":{"exec_id":"bWluaWt1YmU6MzM0OTc2NjQ2MjgyMjozODMxMw==","pid":38313,"uid":0,"cwd":"/usr/share/elasticsearch/","binary":"/usr/bin/cat","arguments":"/usr/share/elasticsearch/config/elasticsearch.keystore","flags":"execve clone","start_time":"2022-02-01T18:01:56.410Z","auid":4294967295,"pod":{"namespace":"default","name":"elasticsearch-0","container":{"id":"docker://e6af4dff4ea3b8d50313c59f","name":"elasticsearch"}},"docker":"e6af4dff4ea3b8d50313c59f","parent_exec_id":"bWluaWt1YmU6MzM0OTc2MDUxNjExMTozODMxMg=="},"status":1,"time":"2022-02-01T18:01:56.411Z"},"node_name":"minikube","time":"2022-02-01T18:01:56.411Z"}`;

export const EXIT_SIGNAL = `{"process_exit":{"process":{"exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzI0NTQ1NDM6NTgyMw==","pid":5823,"uid":1000,"cwd":"/home/alice","binary":"/usr/bin/curl","arguments":"-s https://cilium.io","flags":"execve clone","start_time":"2024-04-14T02:18:14.100Z","auid":1000,"parent_exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzEyMjEyMzQ6NTgwMQ==","tid":5823},"signal":"SIGKILL","time":"2024-04-14T02:18:15.250300Z"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.250300Z"}`;

const KIND_PROCESS =
  '{"exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzI0NTQ1NDM6NTgyMw==","pid":5823,"uid":0,"cwd":"/","binary":"/usr/bin/cat","arguments":"/etc/passwd","flags":"execve rootcwd clone","start_time":"2024-04-14T02:18:14.100Z","auid":4294967295,"pod":{"namespace":"default","name":"xwing","container":{"id":"containerd://c3a7b1e2d4f5","name":"spaceship","image":{"id":"quay.io/cilium/json-mock@sha256:5aad04835eda9025fe4561ad31be77fd55309af8158ca8663a72f6abb78c2603","name":"quay.io/cilium/json-mock:v1.3.8"},"start_time":"2024-04-14T02:10:00Z","pid":42,"security_context":{"privileged":true}},"pod_labels":{"app.kubernetes.io/name":"xwing","class":"xwing","org":"alliance"},"workload":"xwing","workload_kind":"Pod"},"docker":"c3a7b1e2d4f5","parent_exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzEyMjEyMzQ6NTgwMQ==","tid":5823}';

export const KPROBE_FILE_PERMISSION = `{"process_kprobe":{"process":${KIND_PROCESS},"parent":{"exec_id":"a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzEyMjEyMzQ6NTgwMQ==","pid":5801,"uid":0,"cwd":"/","binary":"/bin/sh","flags":"execve rootcwd","start_time":"2024-04-14T02:17:02.551Z","auid":4294967295,"tid":5801},"function_name":"security_file_permission","args":[{"file_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}},{"int_arg":4}],"return":{"int_arg":0},"action":"KPROBE_ACTION_POST","policy_name":"file-monitoring","return_action":"KPROBE_ACTION_POST"},"node_name":"tetragon-dev-control-plane","time":"2024-04-14T02:18:14.376304204Z"}`;

export const KPROBE_READ = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_read","args":[{"file_arg":{"path":"/usr/share/elasticsearch/config/elasticsearch.keystore"}},{"truncated_bytes_arg":{"orig_size":"65536"}},{"size_arg":"65536"}],"action":"KPROBE_ACTION_POST","policy_name":"sys-read-follow-prefix"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.500Z"}`;

export const KPROBE_WRITE = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_write","args":[{"file_arg":{"path":"/tmp/out.txt"}},{"bytes_arg":"aGVsbG8K"},{"size_arg":"6"}],"action":"KPROBE_ACTION_POST","policy_name":"sys-write"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.600Z"}`;

export const KPROBE_CONNECT = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"tcp_connect","args":[{"sock_arg":{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"10.244.0.12","daddr":"104.198.14.52","sport":43210,"dport":443,"cookie":"18446623589142521344","state":"TCP_SYN_SENT"}}],"action":"KPROBE_ACTION_POST","policy_name":"connect"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.700Z"}`;

export const KPROBE_SENDMSG = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"tcp_sendmsg","args":[{"sock_arg":{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"10.244.0.12","daddr":"104.198.14.52","sport":43210,"dport":443}},{"int_arg":517}],"action":"KPROBE_ACTION_POST","policy_name":"connect"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.710Z"}`;

export const KPROBE_CLOSE = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"tcp_close","args":[{"sock_arg":{"family":"AF_INET","type":"SOCK_STREAM","protocol":"IPPROTO_TCP","saddr":"10.244.0.12","daddr":"104.198.14.52","sport":43210,"dport":443}}],"action":"KPROBE_ACTION_POST","policy_name":"connect"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.800Z"}`;

export const KPROBE_SETUID = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_setuid","args":[{"int_arg":0}],"action":"KPROBE_ACTION_POST","policy_name":"setuid"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:14.900Z"}`;

export const KPROBE_MOUNT = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_mount","args":[{"string_arg":"/dev/sda1"},{"string_arg":"/mnt"},{"string_arg":"ext4"},{"long_arg":"0"}],"action":"KPROBE_ACTION_POST","policy_name":"sys-mount"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15Z"}`;

export const KPROBE_OPENAT = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_openat","args":[{"int_arg":-100},{"string_arg":"/etc/shadow"},{"int_arg":0}],"action":"KPROBE_ACTION_SIGKILL","policy_name":"block-shadow","tags":["observability.filesystem","credentials"]},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.100Z"}`;

export const KPROBE_SETNS = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"__x64_sys_setns","args":[{"int_arg":3},{"int_arg":1073741824}],"action":"KPROBE_ACTION_POST","policy_name":"namespaces"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.200Z"}`;

export const KPROBE_CAP = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"cap_capable","args":[{"user_ns_arg":{"level":0,"uid":0,"gid":0,"ns":{"inum":4026531837,"is_host":true}}},{"capability_arg":{"value":21,"name":"CAP_SYS_ADMIN"}}],"return":{"int_arg":0},"action":"KPROBE_ACTION_POST","kernel_stack_trace":[{"address":"18446744072635809952","offset":"32","symbol":"cap_capable"},{"address":"18446744072636145088","offset":"112","symbol":"security_capable"}],"policy_name":"caps"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.300Z"}`;

export const KPROBE_BPF = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"bpf_check","args":[{"bpf_attr_arg":{"ProgType":"BPF_PROG_TYPE_KPROBE","InsnCnt":2048,"ProgName":"amazing-program"}}],"action":"KPROBE_ACTION_POST","policy_name":"bpf"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.400Z"}`;

export const KPROBE_MMAP = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"security_mmap_file","args":[{"file_arg":{"path":"/usr/lib/libc.so.6"}},{"uint_arg":5},{"uint_arg":2}],"action":"KPROBE_ACTION_POST","policy_name":"file-monitoring"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.500Z"}`;

export const KPROBE_UNKNOWN = `{"process_kprobe":{"process":${KIND_PROCESS},"function_name":"security_socket_connect","args":[{"sockaddr_arg":{"family":"AF_INET","addr":"8.8.8.8","port":53}}],"action":"KPROBE_ACTION_POST","policy_name":"dns"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.600Z"}`;

export const TRACEPOINT_SYSCALL = `{"process_tracepoint":{"process":${KIND_PROCESS},"subsys":"raw_syscalls","event":"sys_enter","args":[{"long_arg":"257"},{"size_arg":"18446744073709551516"},{"size_arg":"140724603453440"},{"size_arg":"0"},{"size_arg":"0"},{"size_arg":"0"},{"size_arg":"0"}],"policy_name":"raw-syscalls","action":"KPROBE_ACTION_POST"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.700Z"}`;

export const TRACEPOINT_OTHER = `{"process_tracepoint":{"process":${KIND_PROCESS},"subsys":"sched","event":"sched_process_fork","args":[{"int_arg":5823}],"policy_name":"fork","action":"KPROBE_ACTION_POST"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.800Z"}`;

export const UPROBE = `{"process_uprobe":{"process":${KIND_PROCESS},"path":"/bin/bash","symbol":"readline","policy_name":"bash-readline"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:15.900Z"}`;

export const LSM = `{"process_lsm":{"process":${KIND_PROCESS},"function_name":"file_open","policy_name":"lsm-file-open","args":[{"file_arg":{"path":"/etc/passwd","permission":"-rw-r--r--"}}],"action":"KPROBE_ACTION_POST","ima_hash":"sha256:9a6e6ac9f7de2e5e6a1f9dd0cdbd4f06c2c8a0c0dfd3c0f0e61c24e6b9b5b4d1"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:16Z"}`;

export const LOADER = `{"process_loader":{"process":${KIND_PROCESS},"path":"/usr/lib/x86_64-linux-gnu/libc.so.6","buildid":"wn2OEYfdjw8MS7I2l/qNXgmW07s="},"node_name":"kind-control-plane","time":"2024-04-14T02:18:16.100Z"}`;

export const THROTTLE = `{"process_throttle":{"type":"THROTTLE_START","cgroup":"cri-containerd-c3a7b1e2d4f5.scope"},"node_name":"kind-control-plane","time":"2024-04-14T02:18:16.200Z"}`;

export const RATE_LIMIT = `{"rate_limit_info":{"number_of_dropped_process_events":"1234"},"node_name":"kind-control-plane","time":"2024-04-14T02:19:00Z"}`;

export const ALL_LINES: Readonly<Record<string, string>> = {
  EXEC_POD,
  EXEC_HOST,
  EXIT_STATUS,
  EXIT_SIGNAL,
  KPROBE_FILE_PERMISSION,
  KPROBE_READ,
  KPROBE_WRITE,
  KPROBE_CONNECT,
  KPROBE_SENDMSG,
  KPROBE_CLOSE,
  KPROBE_SETUID,
  KPROBE_MOUNT,
  KPROBE_OPENAT,
  KPROBE_SETNS,
  KPROBE_CAP,
  KPROBE_BPF,
  KPROBE_MMAP,
  KPROBE_UNKNOWN,
  TRACEPOINT_SYSCALL,
  TRACEPOINT_OTHER,
  UPROBE,
  LSM,
  LOADER,
  THROTTLE,
  RATE_LIMIT,
};

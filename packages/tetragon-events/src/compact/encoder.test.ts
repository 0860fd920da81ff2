import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from '../codec';
import type { GetEventsResponse, KprobeArgument, Process } from '../model/types.generated';
import * as F from '../../test/fixtures';
import { autoColor } from './colors';
import { CompactEncoder, CompactFormatError } from './encoder';

const codec = new TetragonCodec();
const plain = new CompactEncoder();
const parse = (line: string): GetEventsResponse => {
  const r = codec.parseEvent(line);
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
};

const curl: Process = {
  binary: '/usr/bin/curl',
  arguments: 'cilium.io',
  pod: { namespace: 'kube-system', name: 'tetragon' },
};

describe('tetra getevents -o compact', () => {
  // The expected strings of Tetragon's own encoder tests.
  test('exec, with and without a pod', () => {
    expect(
      plain.eventToString({
        process_exec: { process: { ...curl, pod: undefined as never } },
        node_name: 'my-node',
      }),
    ).toBe('🚀 process my-node /usr/bin/curl cilium.io');
    expect(plain.eventToString({ process_exec: { process: curl } })).toBe(
      '🚀 process kube-system/tetragon /usr/bin/curl cilium.io',
    );
  });

  test('exit prints the signal when set, else the status (0 included)', () => {
    expect(plain.eventToString({ process_exit: { process: curl, status: 1 } })).toBe(
      '💥 exit    kube-system/tetragon /usr/bin/curl cilium.io 1',
    );
    expect(plain.eventToString({ process_exit: { process: curl, signal: 'SIGKILL' } })).toBe(
      '💥 exit    kube-system/tetragon /usr/bin/curl cilium.io SIGKILL',
    );
    expect(plain.eventToString({ process_exit: { process: curl } })).toBe(
      '💥 exit    kube-system/tetragon /usr/bin/curl cilium.io 0',
    );
  });

  test('kprobes without their arguments keep the separators', () => {
    const p = { binary: '/usr/bin/curl', pod: { namespace: 'kube-system', name: 'tetragon' } };
    const k = (function_name: string): GetEventsResponse => ({
      process_kprobe: { process: p, function_name },
    });
    expect(plain.eventToString(k('unhandled_function'))).toBe(
      '❓ syscall kube-system/tetragon /usr/bin/curl unhandled_function',
    );
    expect(plain.eventToString(k('fd_install'))).toBe('📬 open    kube-system/tetragon /usr/bin/curl ');
    expect(plain.eventToString(k('__x64_sys_write'))).toBe('📝 write   kube-system/tetragon /usr/bin/curl  ');
    expect(plain.eventToString(k('__x64_sys_close'))).toBe('📪 close   kube-system/tetragon /usr/bin/curl ');
    expect(plain.eventToString(k('bpf_check'))).toBe('🐝 bpf_load kube-system/tetragon /usr/bin/curl ');
    expect(plain.eventToString(k('security_perf_event_alloc'))).toBe(
      '🐝 perf_event_alloc kube-system/tetragon /usr/bin/curl ',
    );
    expect(plain.eventToString(k('security_bpf_map_alloc'))).toBe(
      '🗺 bpf_map_create kube-system/tetragon /usr/bin/curl ',
    );
    expect(plain.eventToString(k('__arm64_sys_clock_settime'))).toBe(
      '⏰ clock_settime kube-system/tetragon /usr/bin/curl',
    );
  });

  test('kprobe variants with arguments', () => {
    const p = { binary: '/usr/bin/bpftool', pod: { namespace: 'kube-system', name: 'tetragon' } };
    expect(
      plain.eventToString({
        process_kprobe: {
          process: p,
          function_name: 'security_perf_event_alloc',
          args: [{ perf_event_arg: { KprobeFunc: 'commit_creds', Type: 'PERF_TYPE_TRACEPOINT' } }],
        },
      }),
    ).toBe('🐝 perf_event_alloc kube-system/tetragon /usr/bin/bpftool PERF_TYPE_TRACEPOINT commit_creds');
    expect(
      plain.eventToString({
        process_kprobe: {
          process: p,
          function_name: 'security_bpf_map_alloc',
          args: [
            {
              bpf_map_arg: {
                MapType: 'BPF_MAP_TYPE_HASH',
                KeySize: 8,
                ValueSize: 8,
                MaxEntries: 1024,
                MapName: 'amazing-map',
              },
            },
          ],
        },
      }),
    ).toBe(
      '🗺 bpf_map_create kube-system/tetragon /usr/bin/bpftool BPF_MAP_TYPE_HASH amazing-map key size 8 value size 8 max entries 1024',
    );
    expect(
      plain.eventToString({
        process_kprobe: {
          process: p,
          function_name: 'fd_install',
          args: [{ int_arg: 3 }, { file_arg: { path: '/etc/password' } }],
        },
      }),
    ).toBe('📬 open    kube-system/tetragon /usr/bin/bpftool /etc/password');
  });

  // Every kprobe case of tetra's encoder that the fixtures above do not reach, with and without the
  // arguments it reads.
  const src = 'kube-system/tetragon /usr/bin/curl';
  const kp = (function_name: string, args: KprobeArgument[] = []): GetEventsResponse => ({
    process_kprobe: {
      process: { binary: '/usr/bin/curl', pod: { namespace: 'kube-system', name: 'tetragon' } },
      function_name,
      args,
    },
  });
  test.each<[string, GetEventsResponse, string]>([
    [
      'sys_open',
      kp('__x64_sys_open', [{ int_arg: -100 }, { string_arg: '/etc/hosts' }]),
      `📬️ open    ${src} /etc/hosts`,
    ],
    ['sys_open, one argument', kp('__x64_sys_open', [{ int_arg: -100 }]), `📬️ open    ${src} `],
    [
      'sys_close with a file',
      kp('__x64_sys_close', [{ file_arg: { path: '/tmp/a b' } }]),
      `📪 close   ${src} /tmp/a b`,
    ],
    [
      'sys_pivot_root',
      kp('__x64_sys_pivot_root', [{ string_arg: '/new' }, { string_arg: '/old' }]),
      `💾 pivot_root ${src} /new /old`,
    ],
    ['sys_pivot_root, no arguments', kp('__x64_sys_pivot_root'), `💾 pivot_root ${src}  `],
    ['proc_exec_connector', kp('proc_exec_connector'), `🔧 proc_exec_connector ${src}`],
    [
      'sys_setns, unknown flag',
      kp('__x64_sys_setns', [{ int_arg: 3 }, { int_arg: 1 }]),
      `🔧 setns   ${src} `,
    ],
    ['sys_setns, any', kp('__x64_sys_setns', [{ int_arg: 3 }, {}]), `🔧 setns   ${src} any`],
    [
      'security_bpf_map_create',
      kp('security_bpf_map_create', [
        {
          bpf_map_arg: {
            MapType: 'BPF_MAP_TYPE_ARRAY',
            MapName: 'm',
            KeySize: 4,
            ValueSize: 8,
            MaxEntries: 1,
          },
        },
      ]),
      `🗺 bpf_map_create ${src} BPF_MAP_TYPE_ARRAY m key size 4 value size 8 max entries 1`,
    ],
    [
      'security_file_permission, write',
      kp('security_file_permission', [{ file_arg: { path: '/etc/passwd' } }, { int_arg: 2 }]),
      `📝 write   ${src} /etc/passwd`,
    ],
    [
      'security_file_permission, other mask',
      kp('security_file_permission', [{ file_arg: { path: '/etc/passwd' } }, { int_arg: 8 }]),
      `❓ security_file_permission ${src} /etc/passwd`,
    ],
    [
      'security_file_permission, one argument',
      kp('security_file_permission', [{ file_arg: { path: '/etc/passwd' } }]),
      `❓ security_file_permission ${src} `,
    ],
    [
      'security_mmap_file, rwx',
      kp('security_mmap_file', [{ file_arg: { path: '/lib/x.so' } }, { uint_arg: 7 }]),
      `📝 mmap-rwx ${src} /lib/x.so`,
    ],
    [
      'security_mmap_file, no protection',
      kp('security_mmap_file', [{ file_arg: { path: '/lib/x.so' } }, {}]),
      `📝 mmap-   ${src} /lib/x.so`,
    ],
    [
      'security_mmap_file, one argument',
      kp('security_mmap_file', [{ file_arg: { path: '/lib/x.so' } }]),
      `❓ security_mmap_file ${src} `,
    ],
    [
      'security_path_truncate',
      kp('security_path_truncate', [{ path_arg: { path: '/var/log/x' } }]),
      `📝 truncate ${src} /var/log/x`,
    ],
    [
      'security_path_truncate, no arguments',
      kp('security_path_truncate'),
      `❓ security_path_truncate ${src} `,
    ],
    [
      'security_file_truncate',
      kp('security_file_truncate', [{ file_arg: { path: '/var/log/y' } }]),
      `📝 truncate ${src} /var/log/y`,
    ],
    [
      'security_file_truncate, no arguments',
      kp('security_file_truncate'),
      `❓ security_file_truncate ${src} `,
    ],
    [
      'usdt',
      {
        process_usdt: {
          process: { binary: '/usr/bin/curl' },
          path: '/usr/lib/libc.so.6',
          provider: 'libc',
          name: 'setjmp',
        },
      },
      '🕵️ usdt    node-1 /usr/bin/curl /usr/lib/libc.so.6 libc setjmp',
    ],
    ['test', { test: {} }, 'TEST EVENT'],
  ])('kprobe and other cases: %s', (_name, event, expected) => {
    expect(plain.eventToString({ node_name: 'node-1', ...event })).toBe(expected);
  });

  test.each([
    ['EXEC_POD', '🚀 process default/netperf-server /usr/bin/netserver -D'],
    ['EXEC_HOST', '🚀 process kind-control-plane /usr/bin/curl -s https://cilium.io'],
    [
      'EXIT_STATUS',
      '💥 exit    default/elasticsearch-0 /usr/bin/cat /usr/share/elasticsearch/config/elasticsearch.keystore 1',
    ],
    ['EXIT_SIGNAL', '💥 exit    kind-control-plane /usr/bin/curl -s https://cilium.io SIGKILL'],
    ['KPROBE_FILE_PERMISSION', '📚 read    default/xwing /usr/bin/cat /etc/passwd'],
    [
      'KPROBE_READ',
      '📚 read    default/xwing /usr/bin/cat /usr/share/elasticsearch/config/elasticsearch.keystore 65536 bytes',
    ],
    ['KPROBE_WRITE', '📝 write   default/xwing /usr/bin/cat /tmp/out.txt 6 bytes'],
    ['KPROBE_CONNECT', '🔌 connect default/xwing /usr/bin/cat tcp 10.244.0.12:43210 -> 104.198.14.52:443'],
    [
      'KPROBE_SENDMSG',
      '📤 sendmsg default/xwing /usr/bin/cat tcp 10.244.0.12:43210 -> 104.198.14.52:443 bytes 517',
    ],
    ['KPROBE_CLOSE', '🧹 close   default/xwing /usr/bin/cat tcp 10.244.0.12:43210 -> 104.198.14.52:443'],
    ['KPROBE_SETUID', '🔑 setuid  default/xwing /usr/bin/cat 0'],
    ['KPROBE_MOUNT', '💾 mount   default/xwing /usr/bin/cat /dev/sda1 /mnt'],
    ['KPROBE_OPENAT', '📬️ openat  default/xwing /usr/bin/cat /etc/shadow'],
    ['KPROBE_SETNS', '🔧 setns   default/xwing /usr/bin/cat net'],
    [
      'KPROBE_BPF',
      '🐝 bpf_load default/xwing /usr/bin/cat BPF_PROG_TYPE_KPROBE amazing-program instruction count 2048',
    ],
    ['KPROBE_MMAP', '📝 mmap-rx default/xwing /usr/bin/cat /usr/lib/libc.so.6'],
    ['KPROBE_UNKNOWN', '❓ syscall default/xwing /usr/bin/cat security_socket_connect'],
    [
      'TRACEPOINT_SYSCALL',
      '☎  syscall default/xwing /usr/bin/cat openat(int dfd=18446744073709551516, const char *filename=0x7ffd00000000, int flags=0, umode_t mode=0)',
    ],
    ['TRACEPOINT_OTHER', '⁉️ tracepoint default/xwing /usr/bin/cat sched sched_process_fork'],
    ['UPROBE', '🕵️ uprobe  default/xwing /usr/bin/cat /bin/bash readline'],
    ['LSM', '🔒 LSM     default/xwing /usr/bin/cat file_open'],
    [
      'LOADER',
      '🧬 loader  default/xwing /usr/bin/cat c27d8e1187dd8f0f0c4bb23697fa8d5e0996d3bb /usr/lib/x86_64-linux-gnu/libc.so.6',
    ],
    ['THROTTLE', '🧬 throttle START cri-containerd-c3a7b1e2d4f5.scope'],
  ])('%s', (name, expected) => {
    expect(plain.eventToString(parse((F.ALL_LINES as Record<string, string>)[name]!))).toBe(expected);
  });

  test('events tetra has no line for are refused', () => {
    expect(() => plain.eventToString(parse(F.RATE_LIMIT))).toThrow(CompactFormatError);
    expect(() => plain.eventToString(parse(F.RATE_LIMIT))).toThrow(/^unknown event type: RATE_LIMIT_INFO$/);
    expect(() => plain.eventToString({ node_name: 'n' })).toThrow(/^unknown event type: UNDEF$/);
    expect(() => plain.eventToString({ process_exec: {} })).toThrow('process field is not set');
    expect(plain.eventToString({ test: {} })).toBe('TEST EVENT');
  });

  test('tryEncode answers undefined where encode throws, and the same text otherwise', () => {
    expect(plain.tryEncode(parse(F.RATE_LIMIT))).toBeUndefined();
    expect(plain.tryEncode({ node_name: 'n' })).toBeUndefined();
    expect(plain.tryEncode({ process_kprobe: { function_name: 'tcp_connect' } })).toBeUndefined();
    expect(plain.tryEncode({ process_tracepoint: { subsys: 'raw_syscalls' } })).toBeUndefined();
    expect(() => plain.encode({ process_kprobe: {} })).toThrow('process field is not set');
    for (const line of Object.values(F.ALL_LINES)) {
      const event = parse(line);
      const text = plain.tryEncode(event);
      if (text === undefined) expect(() => plain.encode(event)).toThrow(CompactFormatError);
      else expect(plain.encode(event)).toBe(text);
    }
  });

  test('raw syscalls: x64 with arguments, i386, arm64 and arm32 by name, numbers past the table "unknown"', () => {
    const tp = (args: object[]): GetEventsResponse => ({
      process_tracepoint: { process: curl, subsys: 'raw_syscalls', event: 'sys_enter', args },
    });
    const line = (args: object[]): string =>
      plain.eventToString(tp(args)).replace('☎  syscall kube-system/tetragon /usr/bin/curl ', '');
    expect(
      line([{ syscall_id: { id: 257, abi: 'x64' } }, { size_arg: '3' }, { size_arg: '140724603453440' }]),
    ).toBe('openat(int dfd=3, const char *filename=0x7ffd00000000, int flags=?, umode_t mode=?)');
    expect(line([{ long_arg: '0' }, { size_arg: '3' }])).toBe(
      'read(unsigned int fd=3, char * buf=?, size_t count=?)',
    );
    // Syscalls without arguments print bare, as tetra's table has no entry for them.
    expect(line([{ long_arg: '39' }])).toBe('getpid');
    // Other ABIs print their name with the ABI and without arguments.
    expect(line([{ syscall_id: { id: 5, abi: 'i386' } }])).toBe('i386/open');
    expect(line([{ syscall_id: { id: 0, abi: 'i386' } }])).toBe('i386/restart_syscall');
    expect(line([{ syscall_id: { id: 451, abi: 'i386' } }])).toBe('i386/cachestat');
    expect(line([{ syscall_id: { id: 56, abi: 'arm64' } }])).toBe('arm64/openat');
    expect(line([{ syscall_id: { id: 79, abi: 'arm64' } }])).toBe('arm64/newfstatat');
    expect(line([{ syscall_id: { id: 403, abi: 'arm32' } }])).toBe('arm32/clock_gettime64');
    expect(line([{ syscall_id: { id: 341, abi: 'arm32' } }])).toBe('arm32/sync_file_range2');
    expect(line([{ syscall_id: { id: 0, abi: 'riscv' } }])).toBe('unknown');
    // tetra compares the number with its table's size (374 x64, 318 arm64, 417 arm32 entries): the
    // newest syscalls (clone3 is 435) are unknown, where the numbering has a gap below them.
    expect(line([{ long_arg: '435' }])).toBe('unknown');
    expect(line([{ syscall_id: { id: 435, abi: 'arm64' } }])).toBe('unknown');
    expect(line([{ syscall_id: { id: 416, abi: 'arm32' } }])).toBe('arm32/io_pgetevents_time64');
    expect(line([{ syscall_id: { id: 417, abi: 'arm32' } }])).toBe('unknown');
    expect(line([{ long_arg: '99999' }])).toBe('unknown');
    expect(line([{ long_arg: '-1' }])).toBe('unknown');
  });

  test('text from the event is Go-quoted where tetra quotes it: node name, cgroup, truncated path, uprobe, usdt', () => {
    const host = { binary: '/usr/bin/test', arguments: 'args' };
    expect(plain.eventToString({ node_name: 'host\nwith\nnewlines', process_exec: { process: host } })).toBe(
      '🚀 process "host\\nwith\\nnewlines" /usr/bin/test args',
    );
    expect(
      plain.eventToString({
        process_throttle: { type: 'THROTTLE_START', cgroup: '/sys/fs/cgroup\nmalicious' },
      }),
    ).toBe('🧬 throttle START "/sys/fs/cgroup\\nmalicious"');
    expect(
      plain.eventToString({
        node_name: 'n',
        process_kprobe: {
          process: host,
          function_name: 'security_path_truncate',
          args: [{ path_arg: { path: '/data/bad\nfile' } }],
        },
      }),
    ).toBe('📝 truncate n /usr/bin/test "/data/bad\\nfile"');
    expect(
      plain.eventToString({
        node_name: 'n',
        process_uprobe: { process: host, path: '/lib/\x1b[31mevil\x1b[0m.so', symbol: 'func\nname' },
      }),
    ).toBe('🕵️ uprobe  n /usr/bin/test "/lib/\\x1b[31mevil\\x1b[0m.so" "func\\nname"');
    expect(
      plain.eventToString({
        node_name: 'n',
        process_usdt: {
          process: host,
          path: '/usr/lib/bad\x00path',
          provider: 'prov\nider',
          name: 'probe\tname',
        },
      }),
    ).toBe('🕵️ usdt    n /usr/bin/test "/usr/lib/bad\\x00path" "prov\\nider" "probe\\tname"');
  });

  test('--timestamps prefixes the UTC time with nine fraction digits; no time prints the epoch', () => {
    const enc = new CompactEncoder({ timestamps: true });
    expect(enc.encode({ process_exec: { process: curl } })).toBe(
      '1970-01-01T00:00:00.000000000Z 🚀 process kube-system/tetragon /usr/bin/curl cilium.io\n',
    );
    expect(enc.encode({ process_exec: { process: curl }, time: '2024-04-14T02:18:14.1Z' })).toBe(
      '2024-04-14T02:18:14.100000000Z 🚀 process kube-system/tetragon /usr/bin/curl cilium.io\n',
    );
  });

  test('--color auto: a terminal, unless NO_COLOR is set to something or TERM is dumb', () => {
    expect(autoColor({}, true)).toBe(true);
    expect(autoColor({}, false)).toBe(false);
    expect(autoColor({ NO_COLOR: '1' }, true)).toBe(false);
    expect(autoColor({ NO_COLOR: '' }, true)).toBe(true);
    expect(autoColor({ TERM: 'dumb' }, true)).toBe(false);
  });

  test('colours wrap each part like fatih/color, and the empty caps field still pads the line', () => {
    const enc = new CompactEncoder({ color: true });
    const line =
      '\x1b[34m🚀 process\x1b[0m \x1b[32mkube-system/tetragon\x1b[0m \x1b[35m/usr/bin/curl\x1b[0m \x1b[36mcilium.io\x1b[0m';
    const emptyCaps = '\x1b[35m\x1b[0m';
    // Go pads to column 120 counting the line in bytes and the caps in runes.
    const width = 120 - Buffer.byteLength(line);
    expect(enc.eventToString({ process_exec: { process: curl } })).toBe(
      `${line} ${' '.repeat(width - 9)}${emptyCaps}`,
    );
  });

  test('the CAP_SYS_ADMIN marker follows tetra’s quirk: it needs more than 21 effective capabilities', () => {
    const many = Array.from({ length: 22 }, () => 'CAP_CHOWN' as const);
    const line = '🚀 process kube-system/tetragon /usr/bin/curl cilium.io';
    const marked = plain.eventToString({ process_exec: { process: { ...curl, cap: { effective: many } } } });
    // 120 minus the line's UTF-8 length (the rocket is 4 bytes), minus the marker's 15 runes.
    expect(marked).toBe(`${line} ${' '.repeat(120 - Buffer.byteLength(line) - 15)}🛑 CAP_SYS_ADMIN`);
    // The marker (15 runes) is right-aligned so that it ends at column 121.
    expect(Buffer.byteLength(marked.slice(0, marked.indexOf('🛑')))).toBe(121 - 15);
    const admin = plain.eventToString({
      process_exec: { process: { ...curl, cap: { effective: ['CAP_SYS_ADMIN'] } } },
    });
    expect(admin).toBe(line);
  });

  test('the caps column counts UTF-8 bytes of any text, surrogate pairs and lone surrogates included', () => {
    const many = Array.from({ length: 22 }, () => 'CAP_CHOWN' as const);
    // Pod names are printed as they are (binaries would be quoted), so they reach the count raw.
    for (const name of ['é', '日本', '\u{1F600}', '\ud800x', 'x\udc00', 'a'.repeat(130)]) {
      const process = { ...curl, pod: { namespace: 'ns', name } };
      const line = plain.eventToString({ process_exec: { process } });
      const marked = plain.eventToString({
        process_exec: { process: { ...process, cap: { effective: many } } },
      });
      const width = Math.max(0, 120 - Buffer.byteLength(line) - 15);
      expect(marked).toBe(`${line} ${' '.repeat(width)}🛑 CAP_SYS_ADMIN`);
    }
  });

  test('stack traces and IMA hashes follow the line', () => {
    expect(plain.encode(parse(F.KPROBE_CAP))).toBe(
      '❓ syscall default/xwing /usr/bin/cat cap_capable\nKernel:\n   0xffffffffc00000a0: cap_capable+0x20\n   0xffffffffc0051dc0: security_capable+0x70\n',
    );
    expect(new CompactEncoder({ stackTraces: false }).encode(parse(F.KPROBE_CAP))).toBe(
      '❓ syscall default/xwing /usr/bin/cat cap_capable\n',
    );
    expect(plain.encode(parse(F.LSM))).toBe(
      '🔒 LSM     default/xwing /usr/bin/cat file_open\n   /etc/passwd sha256:9a6e6ac9f7de2e5e6a1f9dd0cdbd4f06c2c8a0c0dfd3c0f0e61c24e6b9b5b4d1\n',
    );
    const user: GetEventsResponse = {
      process_kprobe: {
        process: curl,
        function_name: 'f',
        user_stack_trace: [
          { address: '4096', offset: '16', symbol: 'main', module: '/usr/bin/curl' },
          { address: '8192', offset: '0', module: '/lib/libc.so.6' },
        ],
      },
    };
    expect(plain.encode(user)).toBe(
      '❓ syscall kube-system/tetragon /usr/bin/curl f\nUser:\n   0x1000: main (/usr/bin/curl+0x10)\n   0x2000: (/lib/libc.so.6+0x0)\n',
    );
  });
});

describe('text that would break the line layout', () => {
  test('non-printable characters are shown Go-quoted; plain text, spaces and non-ASCII letters are not', () => {
    const p = (args: string, binary = '/bin/sh'): GetEventsResponse => ({
      process_exec: { process: { binary, arguments: args } },
      node_name: 'n',
    });
    expect(plain.eventToString(p('-c "echo hi"'))).toBe('🚀 process n /bin/sh -c "echo hi"');
    expect(plain.eventToString(p('born() {\n  b=1; }'))).toBe('🚀 process n /bin/sh "born() {\\n  b=1; }"');
    expect(plain.eventToString(p('a\tb\x1b[31m\x7f'))).toBe('🚀 process n /bin/sh "a\\tb\\x1b[31m\\x7f"');
    expect(plain.eventToString(p('café ☃ 🚀'))).toBe('🚀 process n /bin/sh café ☃ 🚀');
    expect(plain.eventToString(p('x', '/tmp/evil\u202ename'))).toBe('🚀 process n "/tmp/evil\\u202ename" x');
  });
});

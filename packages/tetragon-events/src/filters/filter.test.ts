import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from '../codec';
import type { Filter, GetEventsResponse, Process } from '../model/types.generated';
import * as F from '../../test/fixtures';
import { eventParts } from '../model/event';
import { compileEventFilter, compileFilter } from './filter';
import { parseFilterList } from './parse';
import { RegexError, compileRe2 } from './regex';

const codec = new TetragonCodec();
const parse = (line: string): GetEventsResponse => {
  const r = codec.parseEvent(line);
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
};

const execPod = parse(F.EXEC_POD); // default/netperf-server, /usr/bin/netserver -D, pid 68790
const execHost = parse(F.EXEC_HOST); // host, /usr/bin/curl, parent /bin/bash
const kprobe = parse(F.KPROBE_FILE_PERMISSION); // default/xwing, policy file-monitoring
const throttle = parse(F.THROTTLE);

function matches(filter: Filter, event: GetEventsResponse): boolean {
  const r = compileFilter(filter);
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value(event);
}

function withProcess(p: Process): GetEventsResponse {
  return { process_exec: { process: p } };
}

describe('Filter fields', () => {
  test('binary_regex is an unanchored RE2 match; values are alternatives', () => {
    expect(matches({ binary_regex: ['netserv'] }, execPod)).toBe(true);
    expect(matches({ binary_regex: ['^/usr/bin/curl$'] }, execPod)).toBe(false);
    expect(matches({ binary_regex: ['^/usr/bin/curl$', 'netserver$'] }, execPod)).toBe(true);
    expect(matches({ binary_regex: ['.'] }, throttle)).toBe(false);
  });

  test('namespace is exact and "" stands for host processes', () => {
    expect(matches({ namespace: ['default'] }, execPod)).toBe(true);
    expect(matches({ namespace: ['def'] }, execPod)).toBe(false);
    expect(matches({ namespace: [''] }, execHost)).toBe(true);
    expect(matches({ namespace: [''] }, execPod)).toBe(false);
    expect(matches({ namespace: ['kube-system', ''] }, execHost)).toBe(true);
  });

  test('namespace_regex matches the pod namespace and never host processes', () => {
    expect(matches({ namespace_regex: ['^def'] }, execPod)).toBe(true);
    expect(matches({ namespace_regex: ['^$'] }, execHost)).toBe(false);
    expect(matches({ namespace_regex: ['.*'] }, execHost)).toBe(false);
    expect(matches({ namespace_regex: ['^kube-'] }, execPod)).toBe(false);
  });

  test('health_check uses maybe_exec_probe of the process or its parent', () => {
    const probe = withProcess({ binary: '/bin/ls', pod: { container: { maybe_exec_probe: true } } });
    const parentProbe: GetEventsResponse = {
      process_exec: {
        process: { binary: '/bin/ls' },
        parent: { pod: { container: { maybe_exec_probe: true } } },
      },
    };
    expect(matches({ health_check: true }, probe)).toBe(true);
    expect(matches({ health_check: true }, parentProbe)).toBe(true);
    expect(matches({ health_check: true }, execPod)).toBe(false);
    expect(matches({ health_check: false }, execPod)).toBe(true);
    expect(matches({ health_check: false }, probe)).toBe(false);
    // The parent alone decides when the event has no process; an event without either is no probe.
    const parentOnly: GetEventsResponse = {
      process_exec: { parent: { pod: { container: { maybe_exec_probe: true } } } },
    };
    expect(matches({ health_check: true }, parentOnly)).toBe(true);
    expect(matches({ health_check: false }, throttle)).toBe(true);
    expect(matches({ health_check: true }, throttle)).toBe(false);
  });

  test('pid matches the process pid', () => {
    expect(matches({ pid: [1, 68790] }, execPod)).toBe(true);
    expect(matches({ pid: [68598] }, execPod)).toBe(false);
    // An unset pid reads as 0, as Go reads an unset wrapper; no process matches nothing.
    expect(matches({ pid: [0] }, withProcess({ binary: '/bin/x' }))).toBe(true);
    expect(matches({ pid: [0] }, throttle)).toBe(false);
  });

  test('pid_set follows the descendants of the given pids', () => {
    const r = compileFilter({ pid_set: [100] });
    if (!r.ok) throw new Error();
    const exec = (pid: number, parent: number): GetEventsResponse => ({
      process_exec: { process: { pid }, parent: { pid: parent } },
    });
    const kprobeOf = (pid: number): GetEventsResponse => ({ process_kprobe: { process: { pid } } });
    expect(r.value(kprobeOf(101))).toBe(false);
    expect(r.value(exec(101, 100))).toBe(true);
    expect(r.value(kprobeOf(101))).toBe(true);
    expect(r.value(exec(102, 101))).toBe(true);
    expect(r.value(exec(200, 1))).toBe(false);
    // Any event seen with a tracked parent tracks its process, not only an exec.
    const kprobeWithParent = (pid: number, parent: number): GetEventsResponse => ({
      process_kprobe: { process: { pid }, parent: { pid: parent } },
    });
    expect(r.value(kprobeWithParent(300, 102))).toBe(true);
    expect(r.value(exec(301, 300))).toBe(true);
  });

  test('pid_set learns only from events the checks before it let through, in Tetragon’s order', () => {
    const r = compileFilter({ pid_set: [100], parent_binary_regex: ['bash'] });
    if (!r.ok) throw new Error();
    const exec = (pid: number, parent: number, parentBinary: string): GetEventsResponse => ({
      process_exec: { process: { pid }, parent: { pid: parent, binary: parentBinary } },
    });
    // The parent check fails first, so pid_set never sees 200 as a child of 100.
    expect(r.value(exec(200, 100, '/bin/sh'))).toBe(false);
    expect(r.value(exec(300, 200, '/bin/bash'))).toBe(false);
  });

  test('event_set matches the event type', () => {
    expect(matches({ event_set: ['PROCESS_EXEC'] }, execPod)).toBe(true);
    expect(matches({ event_set: ['PROCESS_EXIT', 'PROCESS_KPROBE'] }, execPod)).toBe(false);
    expect(matches({ event_set: ['PROCESS_KPROBE'] }, kprobe)).toBe(true);
    expect(matches({ event_set: ['PROCESS_THROTTLE'] }, throttle)).toBe(true);
  });

  test('pod_regex matches the pod name and never host processes', () => {
    expect(matches({ pod_regex: ['^netperf-'] }, execPod)).toBe(true);
    expect(matches({ pod_regex: ['.*'] }, execHost)).toBe(false);
  });

  test('arguments_regex and parent_arguments_regex', () => {
    expect(matches({ arguments_regex: ['cilium\\.io'] }, execHost)).toBe(true);
    expect(matches({ arguments_regex: ['^-D$'] }, execPod)).toBe(true);
    expect(matches({ parent_arguments_regex: ['-namespace k8s\\.io'] }, execPod)).toBe(true);
    expect(matches({ parent_arguments_regex: ['x'] }, execHost)).toBe(false);
  });

  test('labels is a Kubernetes selector; host processes never match', () => {
    expect(matches({ labels: ['app=netperf'] }, execPod)).toBe(true);
    expect(matches({ labels: ['app=netperf,tier=client'] }, execPod)).toBe(false);
    expect(matches({ labels: ['app=nope', 'tier in (server, db)'] }, execPod)).toBe(true);
    expect(matches({ labels: ['!canary'] }, execPod)).toBe(true);
    expect(matches({ labels: ['tier notin (server)'] }, execPod)).toBe(false);
    expect(matches({ labels: ['!canary'] }, execHost)).toBe(false);
    // key>N and key<N compare integer values; a label that is missing or not a number never matches.
    const replicas = (n: string): GetEventsResponse =>
      withProcess({ pod: { namespace: 'a', name: 'b', pod_labels: { replicas: n } } });
    expect(matches({ labels: ['replicas>3'] }, replicas('5'))).toBe(true);
    expect(matches({ labels: ['replicas>3'] }, replicas('3'))).toBe(false);
    expect(matches({ labels: ['replicas < 3'] }, replicas('-1'))).toBe(true);
    expect(matches({ labels: ['replicas>3'] }, replicas('many'))).toBe(false);
    expect(compileFilter({ labels: ['replicas>three'] }).ok).toBe(false);
  });

  test('policy_names matches kprobe, tracepoint, uprobe and LSM events only', () => {
    expect(matches({ policy_names: ['file-monitoring'] }, kprobe)).toBe(true);
    expect(matches({ policy_names: ['raw-syscalls'] }, parse(F.TRACEPOINT_SYSCALL))).toBe(true);
    expect(matches({ policy_names: ['bash-readline'] }, parse(F.UPROBE))).toBe(true);
    expect(matches({ policy_names: ['lsm-file-open'] }, parse(F.LSM))).toBe(true);
    expect(matches({ policy_names: ['file-monitoring'] }, execPod)).toBe(false);
    // An event of an unnamed policy matches no name, "" included.
    expect(matches({ policy_names: [''] }, { process_kprobe: { process: { binary: '/x' } } })).toBe(false);
  });

  test('capabilities: any, all, exactly and none; several sets are ANDed', () => {
    const p = withProcess({
      cap: {
        effective: ['CAP_SYS_ADMIN', 'CAP_NET_RAW'],
        permitted: ['CAP_SYS_ADMIN', 'CAP_NET_RAW', 'CAP_BPF'],
      },
    });
    expect(matches({ capabilities: { effective: { any: ['CAP_BPF', 'CAP_NET_RAW'] } } }, p)).toBe(true);
    expect(matches({ capabilities: { effective: { all: ['CAP_SYS_ADMIN', 'CAP_BPF'] } } }, p)).toBe(false);
    expect(matches({ capabilities: { effective: { exactly: ['CAP_NET_RAW', 'CAP_SYS_ADMIN'] } } }, p)).toBe(
      true,
    );
    expect(matches({ capabilities: { effective: { none: ['CAP_BPF'] } } }, p)).toBe(true);
    expect(
      matches({ capabilities: { effective: { none: ['CAP_BPF'] }, permitted: { none: ['CAP_BPF'] } } }, p),
    ).toBe(false);
    expect(compileFilter({ capabilities: { effective: { any: ['CAP_BPF'], all: ['CAP_BPF'] } } }).ok).toBe(
      false,
    );
    // Only process.cap is read: without it no capability filter matches, "none" included.
    const credsOnly = withProcess({ process_credentials: { caps: { effective: ['CAP_SYS_ADMIN'] } } });
    expect(matches({ capabilities: { effective: { any: ['CAP_SYS_ADMIN'] } } }, credsOnly)).toBe(false);
    expect(matches({ capabilities: { permitted: { none: ['CAP_SYS_ADMIN'] } } }, withProcess({}))).toBe(
      false,
    );
  });

  test('parent_binary_regex and ancestor_binary_regex', () => {
    expect(matches({ parent_binary_regex: ['bash$'] }, execHost)).toBe(true);
    expect(matches({ parent_binary_regex: ['bash$'] }, execPod)).toBe(false);
    const withAncestors: GetEventsResponse = {
      process_exec: {
        process: { binary: '/bin/sh' },
        parent: { binary: '/bin/bash' },
        ancestors: [{ binary: '/usr/sbin/sshd' }, { binary: '/sbin/init' }],
      },
    };
    expect(matches({ ancestor_binary_regex: ['sshd'] }, withAncestors)).toBe(true);
    expect(matches({ ancestor_binary_regex: ['bash'] }, withAncestors)).toBe(false);
  });

  test('container_id is a regex over process.docker; container_name_regex over the container name', () => {
    expect(matches({ container_id: ['^19a02291'] }, execPod)).toBe(true);
    expect(matches({ container_id: ['^ffff'] }, execPod)).toBe(false);
    expect(matches({ container_name_regex: ['^netperf$'] }, execPod)).toBe(true);
    expect(matches({ container_name_regex: ['.'] }, execHost)).toBe(false);
    // A container without a name matches as "".
    const unnamed = withProcess({ pod: { namespace: 'a', name: 'b', container: { id: 'x' } } });
    expect(matches({ container_name_regex: ['^$'] }, unnamed)).toBe(true);
  });

  test('in_init_tree compares the flag, unset meaning false', () => {
    expect(matches({ in_init_tree: false }, execHost)).toBe(true);
    expect(matches({ in_init_tree: true }, execHost)).toBe(false);
    expect(matches({ in_init_tree: true }, withProcess({ in_init_tree: true }))).toBe(true);
  });

  test('within one filter every set field must match', () => {
    expect(matches({ namespace: ['default'], binary_regex: ['netserver'] }, execPod)).toBe(true);
    expect(matches({ namespace: ['default'], binary_regex: ['curl'] }, execPod)).toBe(false);
    expect(matches({}, execPod)).toBe(true);
  });

  test('cel_expression is refused clearly rather than ignored', () => {
    const r = compileFilter({ cel_expression: ['process_exec.process.pid == 1'] }, { path: '/allow_list/0' });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues).toEqual([
        {
          path: '/allow_list/0/cel_expression',
          message: 'CEL expression filters are not supported by ciliary yet',
        },
      ]);
  });

  test('RE2 forms JavaScript spells otherwise: \\pL, [[:^digit:]], an escaped parenthesis before ?=', () => {
    expect(compileRe2('^\\pL+$').test('héllo')).toBe(true);
    expect(compileRe2('^\\PL$').test('1')).toBe(true);
    expect(compileRe2('[[:^digit:]]x').test(' x')).toBe(true);
    expect(compileRe2('[[:^digit:]]x').test('1x')).toBe(false);
    expect(compileRe2('f\\(?=').test('f=')).toBe(true);
    expect(() => compileRe2('a(?=b)')).toThrow(RegexError);
  });

  test('invalid regular expressions are reported with their index', () => {
    const r = compileFilter({ binary_regex: ['ok', '(unclosed', '(?=look)'] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path)).toEqual(['/binary_regex/1', '/binary_regex/2']);
  });
});

describe('allow and deny lists', () => {
  const compile = (allow: Filter[], deny: Filter[]) => {
    const r = compileEventFilter({ allow_list: allow, deny_list: deny });
    if (!r.ok) throw new Error();
    return r.value;
  };

  test('empty lists let everything through', () => {
    expect(compile([], []).matches(execPod)).toBe(true);
  });

  test('an allow list matches when any filter does', () => {
    const f = compile([{ namespace: ['kube-system'] }, { binary_regex: ['curl'] }], []);
    expect(f.matches(execHost)).toBe(true);
    expect(f.matches(execPod)).toBe(false);
  });

  test('deny wins over allow', () => {
    const f = compile([{ event_set: ['PROCESS_EXEC'] }], [{ namespace: [''] }]);
    expect(f.matches(execPod)).toBe(true);
    expect(f.matches(execHost)).toBe(false);
  });

  test('Tetragon’s Helm defaults keep pod execs and drop host and kube-system events', () => {
    const lists = parseFilterList(
      codec,
      '{"event_set":["PROCESS_EXEC","PROCESS_EXIT","PROCESS_KPROBE","PROCESS_UPROBE","PROCESS_TRACEPOINT","PROCESS_LSM"]}',
    );
    const deny = parseFilterList(codec, '{"health_check":true}\n{"namespace":["","cilium","kube-system"]}');
    if (!lists.ok || !deny.ok) throw new Error();
    const f = compile(lists.value, deny.value);
    expect(f.matches(execPod)).toBe(true);
    expect(f.matches(kprobe)).toBe(true);
    expect(f.matches(execHost)).toBe(false);
    expect(f.matches(throttle)).toBe(false);
  });

  test('parts the caller found once give the answers the filter finds by itself', () => {
    const f = compile(
      [{ event_set: ['PROCESS_EXEC', 'PROCESS_KPROBE'] }, { policy_names: ['file-monitoring'] }],
      [{ health_check: true }, { namespace: ['kube-system'] }, { parent_binary_regex: ['bash'] }],
    );
    const one = compileFilter({ namespace: ['default'], pod_regex: ['x'] });
    if (!one.ok) throw new Error();
    for (const line of Object.values(F.ALL_LINES)) {
      const event = parse(line);
      expect(f.matches(event, eventParts(event))).toBe(f.matches(event));
      expect(one.value(event, eventParts(event))).toBe(one.value(event));
    }
    // The given parts are what is read: a host exec judged by a pod exec's parts.
    const namespace = compile([{ namespace: ['default'] }], []);
    expect(namespace.matches(execHost)).toBe(false);
    expect(namespace.matches(execHost, eventParts(execPod))).toBe(true);
  });

  test('problems in lists carry the list, index and field', () => {
    const r = compileEventFilter(
      { allow_list: [{}, { pod_regex: ['['] }], deny_list: [{ labels: ['a b c'] }] },
      { document: 'flags' },
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.map((i) => `${i.document}${i.path}`)).toEqual([
        'flags/allow_list/1/pod_regex/0',
        'flags/deny_list/0/labels/0',
      ]);
  });
});

describe('filter list text', () => {
  test('one object per line, several per line, pretty-printed, lowerCamel keys', () => {
    const r = parseFilterList(
      codec,
      '{"binary_regex":["a"]} {"podRegex":["b"]}\n{\n  "namespace": ["c"]\n}\n',
    );
    expect(r.ok && r.value).toEqual([{ binary_regex: ['a'] }, { pod_regex: ['b'] }, { namespace: ['c'] }]);
  });

  test('unknown fields and bad values are errors naming the line', () => {
    const r = parseFilterList(
      codec,
      '{"binary_regex":["a"]}\n{"binary_regexp":["b"]}\n{"pid":["x"]}',
      '--allow-list',
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toEqual([
        {
          document: '--allow-list:2',
          path: '/binary_regexp',
          message: 'unknown field "binary_regexp" of tetragon.Filter',
        },
        { document: '--allow-list:3', path: '/pid/0', message: 'expected an unsigned 32-bit integer' },
      ]);
    }
  });

  test('pid_set is refused unless pid set filters are enabled, as Tetragon parses export lists', () => {
    const text = '{"binary_regex":["a"]}\n{"pid_set":[1]}';
    const refused = parseFilterList(codec, text, '--export-allowlist');
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.issues).toHaveLength(1);
      expect(refused.issues[0]).toMatchObject({ document: '--export-allowlist', path: '/1/pid_set' });
      expect(refused.issues[0]!.message).toContain('--enable-pid-set-filter');
    }
    const enabled = parseFilterList(codec, text, '--export-allowlist', { enablePidSetFilter: true });
    expect(enabled.ok && enabled.value[1]).toEqual({ pid_set: [1] });
  });

  test('text that is not a stream of objects is refused', () => {
    expect(parseFilterList(codec, 'binary_regex=a').ok).toBe(false);
    expect(parseFilterList(codec, '{"a":1').ok).toBe(false);
  });
});

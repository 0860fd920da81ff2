import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { systemClock } from '@ciliary/core';
import { kernelTest, waitFor } from '@ciliary/testing';
import { CompactEncoder, type GetEventsResponse } from '@ciliary/tetragon-events';
import { PolicyManager, Sensor, systemKernelFacts } from '../src';
import { exitOf, run, sensorFeature, uniquePinDir } from './kernel';

function kprobes(events: GetEventsResponse[], policy: string): GetEventsResponse[] {
  return events.filter((e) => e.process_kprobe?.policy_name === policy);
}

function filePolicy(name: string, path: string, kind = 'TracingPolicy'): Record<string, unknown> {
  return {
    apiVersion: 'cilium.io/v1alpha1',
    kind,
    metadata: { name, ...(kind === 'TracingPolicyNamespaced' ? { namespace: 'team' } : {}) },
    spec: {
      kprobes: [
        {
          call: 'security_file_permission',
          syscall: false,
          args: [
            { index: 0, type: 'file' },
            { index: 1, type: 'int' },
          ],
          selectors: [{ matchArgs: [{ index: 0, operator: 'Equal', values: [path] }] }],
        },
      ],
    },
  };
}

/**
 * Runs a command pinned to CPU 0 (taskset execs it: same pid), so each read meets the entry that the
 * earlier reads left in the per-CPU verdict cache: a stale verdict would show.
 */
function runOnOneCpu(command: string, args: string[], cwd: string) {
  return run('/usr/bin/taskset', ['-c', '0', command, ...args], { cwd });
}

/** Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on hybrid hosts). */
function cgroup2Root(): string | undefined {
  const line = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[2] === 'cgroup2');
  return line?.split(' ')[1];
}

describe('TracingPolicy hooks in the kernel', () => {
  let sensor: Sensor;
  let policies: PolicyManager;
  let work: string;
  const events: GetEventsResponse[] = [];
  const compact = new CompactEncoder();

  beforeAll(() => {
    if (!sensorFeature.available()) return;
    work = realpathSync(mkdtempSync(path.join(tmpdir(), 'sensor-policy-')));
    sensor = new Sensor({ clock: systemClock(), pinDir: uniquePinDir('policy'), node: 'test-node' });
    sensor.subscribe((e) => events.push(e));
    sensor.start();
    policies = new PolicyManager(sensor, systemKernelFacts());
  });

  afterAll(() => {
    policies?.close();
    sensor?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  kernelTest(
    'security_file_permission reports the reads of one chosen file and nothing else',
    sensorFeature,
    async () => {
      const watched = path.join(work, 'watched.txt');
      const other = path.join(work, 'other.txt');
      writeFileSync(watched, 'secret\n');
      writeFileSync(other, 'public\n');
      policies.add({
        apiVersion: 'cilium.io/v1alpha1',
        kind: 'TracingPolicy',
        metadata: { name: 'file-monitoring' },
        spec: {
          kprobes: [
            {
              call: 'security_file_permission',
              syscall: false,
              return: false,
              args: [
                { index: 0, type: 'file' },
                { index: 1, type: 'int' },
              ],
              selectors: [{ matchArgs: [{ index: 0, operator: 'Equal', values: [watched] }] }],
            },
          ],
        },
      });
      const { pid: otherPid } = await run('/bin/cat', [other]);
      const { pid } = await run('/bin/cat', [watched]);
      const reads = await waitFor(() => {
        const found = kprobes(events, 'file-monitoring').filter(
          (e) => e.process_kprobe!.process!.pid === pid,
        );
        return found.length > 0 ? found : undefined;
      });
      const read = reads[0]!.process_kprobe!;
      expect(read).toMatchObject({
        function_name: 'security_file_permission',
        action: 'KPROBE_ACTION_POST',
        args: [{ file_arg: { path: watched, permission: '-rw-r--r--' } }, { int_arg: 4 }],
        process: { binary: '/bin/cat', arguments: watched, cwd: '/tmp' },
      });
      expect(read.parent?.pid).toBe(process.pid);
      // nothing else: no event for the other file, from any process
      await waitFor(() => exitOf(events, pid));
      sensor.drain();
      const all = kprobes(events, 'file-monitoring');
      expect(all.every((e) => e.process_kprobe!.args![0]!.file_arg!.path === watched)).toBe(true);
      expect(all.some((e) => e.process_kprobe!.process!.pid === otherPid)).toBe(false);
      expect(compact.encode(reads[0]!)).toBe(`📚 read    test-node /bin/cat ${watched}\n`);
      policies.delete('file-monitoring');
    },
  );

  kernelTest(
    'tcp_connect reports a loopback connection with addresses and ports',
    sensorFeature,
    async () => {
      const server = net.createServer((socket) => socket.end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        policies.add({
          apiVersion: 'cilium.io/v1alpha1',
          kind: 'TracingPolicy',
          metadata: { name: 'connect' },
          spec: {
            kprobes: [
              {
                call: 'tcp_connect',
                syscall: false,
                args: [{ index: 0, type: 'sock' }],
                selectors: [{ matchArgs: [{ index: 0, operator: 'DPort', values: [String(port)] }] }],
              },
            ],
          },
        });
        const client = net.connect(port, '127.0.0.1');
        await new Promise<void>((resolve) => client.on('connect', resolve));
        const localPort = client.localPort!;
        client.destroy();
        const event = await waitFor(() => kprobes(events, 'connect')[0]);
        const kprobe = event.process_kprobe!;
        expect(kprobe).toMatchObject({
          function_name: 'tcp_connect',
          process: { pid: process.pid },
          args: [
            {
              sock_arg: {
                family: 'AF_INET',
                type: 'SOCK_STREAM',
                protocol: 'IPPROTO_TCP',
                saddr: '127.0.0.1',
                daddr: '127.0.0.1',
                sport: localPort,
                dport: port,
              },
            },
          ],
        });
        const binary = kprobe.process!.binary!;
        expect(compact.encode(event)).toBe(
          `🔌 connect test-node ${binary} tcp 127.0.0.1:${localPort} -> 127.0.0.1:${port}\n`,
        );
      } finally {
        policies.delete('connect');
        server.close();
      }
    },
  );

  kernelTest(
    'Sigkill kills a process that opens a forbidden file; its exit shows SIGKILL',
    sensorFeature,
    async () => {
      const forbidden = path.join(work, 'forbidden.txt');
      writeFileSync(forbidden, 'no\n');
      policies.add({
        apiVersion: 'cilium.io/v1alpha1',
        kind: 'TracingPolicy',
        metadata: { name: 'deny-forbidden' },
        spec: {
          kprobes: [
            {
              call: 'fd_install',
              syscall: false,
              args: [
                { index: 0, type: 'int' },
                { index: 1, type: 'file' },
              ],
              selectors: [
                {
                  matchArgs: [{ index: 1, operator: 'Equal', values: [forbidden] }],
                  matchActions: [{ action: 'Sigkill' }],
                },
              ],
            },
          ],
        },
      });
      try {
        const { pid, signal } = await run('/bin/cat', [forbidden]);
        expect(signal).toBe('SIGKILL');
        const kill = await waitFor(() =>
          kprobes(events, 'deny-forbidden').find((e) => e.process_kprobe!.process!.pid === pid),
        );
        expect(kill.process_kprobe).toMatchObject({
          function_name: 'fd_install',
          action: 'KPROBE_ACTION_SIGKILL',
          args: [{ int_arg: 3 }, { file_arg: { path: forbidden } }],
          process: { binary: '/bin/cat' },
        });
        const exit = await waitFor(() => exitOf(events, pid));
        expect(exit.process_exit).toMatchObject({ signal: 'SIGKILL', process: { binary: '/bin/cat' } });
        expect(compact.encode(kill)).toBe(`📬 open    test-node /bin/cat ${forbidden}\n`);
        expect(compact.encode(exit)).toBe(`💥 exit    test-node /bin/cat ${forbidden} SIGKILL\n`);
        // other files open normally
        const allowed = await run('/bin/cat', ['/etc/hostname']);
        expect(allowed.code).toBe(0);
      } finally {
        policies.delete('deny-forbidden');
      }
      // unloaded: the same open works again
      const after = await run('/bin/cat', [forbidden]);
      expect(after.code).toBe(0);
    },
  );

  kernelTest('a system call hook with a string argument and a return value', sensorFeature, async () => {
    const target = path.join(work, 'openat-target');
    writeFileSync(target, 'x');
    policies.add({
      apiVersion: 'cilium.io/v1alpha1',
      kind: 'TracingPolicy',
      metadata: { name: 'openat' },
      spec: {
        kprobes: [
          {
            call: 'sys_openat',
            return: true,
            args: [
              { index: 0, type: 'int' },
              { index: 1, type: 'string' },
              { index: 2, type: 'int' },
            ],
            returnArg: { index: 0, type: 'int' },
            selectors: [{ matchArgs: [{ index: 1, operator: 'Postfix', values: ['/openat-target'] }] }],
          },
        ],
      },
    });
    try {
      const { pid } = await run('/bin/cat', [target]);
      const event = await waitFor(() =>
        kprobes(events, 'openat').find((e) => e.process_kprobe!.process!.pid === pid),
      );
      expect(event.process_kprobe).toMatchObject({
        function_name: '__x64_sys_openat',
        args: [{ int_arg: -100 }, { string_arg: target }, { int_arg: 0 }],
        return: { int_arg: 3 },
        return_action: 'KPROBE_ACTION_POST',
      });
    } finally {
      policies.delete('openat');
    }
  });

  // The hook caches per struct file that a file matched nothing; these prove the cache cannot hide a match.
  kernelTest(
    'a file renamed into the watched path is reported through an fd opened before the rename',
    sensorFeature,
    async () => {
      const dir = path.join(work, 'rename-dir');
      const watchedDir = path.join(work, 'watched-dir');
      mkdirSync(dir);
      writeFileSync(path.join(dir, 'file'), 'one\ntwo\nthree\nfour\n');
      const watched = path.join(watchedDir, 'file');
      policies.add(filePolicy('rename-into', watched));
      try {
        // two lines read (byte by byte: cached as no match), then the directory is renamed (the file's own
        // dentry is untouched), then two more lines through the same fd, then the file itself renamed back
        // and forth (its own dentry moves)
        const script =
          'exec 3< rename-dir/file; read -r a <&3; read -r b <&3; mv rename-dir watched-dir; ' +
          'read -r c <&3; mv watched-dir/file watched-dir/moved; read -r d <&3; ' +
          'mv watched-dir/moved watched-dir/file; cat <&3';
        const { pid, code } = await runOnOneCpu('/bin/sh', ['-c', script], work);
        expect(code).toBe(0);
        await waitFor(() => exitOf(events, pid));
        sensor.drain();
        const reads = kprobes(events, 'rename-into').filter((e) => e.process_kprobe!.process!.pid === pid);
        // "three\n" byte by byte after the directory rename, not "four\n" read while the file was elsewhere;
        // then cat's read after the file came back
        expect(reads.filter((e) => e.process_kprobe!.process!.binary === '/bin/sh').length).toBe(6);
        expect(reads.every((e) => e.process_kprobe!.args![0]!.file_arg!.path === watched)).toBe(true);
        const cat = await waitFor(() =>
          kprobes(events, 'rename-into').find((e) => e.process_kprobe!.process!.binary!.endsWith('/cat')),
        );
        expect(cat.process_kprobe!.args![0]!.file_arg!.path).toBe(watched);
      } finally {
        policies.delete('rename-into');
      }
    },
  );

  kernelTest(
    'a mount moved so that an open file lands on the watched path is reported',
    sensorFeature,
    async () => {
      mkdirSync(path.join(work, 'mnt-before'));
      mkdirSync(path.join(work, 'mnt-after'));
      const watched = path.join(work, 'mnt-after', 'file');
      policies.add(filePolicy('mount-move', watched));
      try {
        // in a private mount namespace: a tmpfs with a file, read through an fd (cached as no match),
        // the mount moved onto the watched directory, read again through the same fd (mount -n: no
        // /run/mount/utab update, whose rename would invalidate the cache by itself)
        const script =
          'mount -n -t tmpfs none mnt-before && printf "ab\\ncd\\n" > mnt-before/file && exec 3< mnt-before/file && ' +
          'read -r a <&3 && mount -n --move mnt-before mnt-after && read -r b <&3';
        const { pid, code } = await runOnOneCpu(
          '/usr/bin/unshare',
          ['-m', '--propagation', 'private', '/bin/sh', '-c', script],
          work,
        );
        expect(code).toBe(0);
        await waitFor(() => exitOf(events, pid));
        sensor.drain();
        const reads = kprobes(events, 'mount-move').filter((e) => e.process_kprobe!.process!.pid === pid);
        expect(reads.length).toBe('cd\n'.length);
        expect(reads.every((e) => e.process_kprobe!.args![0]!.file_arg!.path === watched)).toBe(true);
      } finally {
        policies.delete('mount-move');
      }
    },
  );

  kernelTest(
    'an fd closed and reused for the watched file is reported; the file it had before is not',
    sensorFeature,
    async () => {
      const watched = path.join(work, 'reused-watched.txt');
      writeFileSync(watched, 'secret\n');
      writeFileSync(path.join(work, 'reused-other.txt'), 'public\n');
      policies.add(filePolicy('fd-reuse', watched));
      try {
        // the same fd number, and most likely the same struct file address from the slab, for both files
        const script =
          'for i in 1 2 3; do exec 3< reused-other.txt; read -r x <&3; exec 3<&-; done; ' +
          'exec 3< reused-watched.txt; read -r x <&3';
        const { pid, code } = await runOnOneCpu('/bin/sh', ['-c', script], work);
        expect(code).toBe(0);
        await waitFor(() => exitOf(events, pid));
        sensor.drain();
        const reads = kprobes(events, 'fd-reuse').filter((e) => e.process_kprobe!.process!.pid === pid);
        expect(reads.length).toBe('secret\n'.length);
        expect(reads.every((e) => e.process_kprobe!.args![0]!.file_arg!.path === watched)).toBe(true);
      } finally {
        policies.delete('fd-reuse');
      }
    },
  );

  kernelTest('a TracingPolicyNamespaced observes only the cgroups it is given', sensorFeature, async () => {
    const root = cgroup2Root();
    expect(root).toBeDefined();
    const watched = path.join(work, 'namespaced.txt');
    writeFileSync(watched, 'x\n');
    const dirs = ['a', 'b'].map((n) => path.join(root!, `ciliary-test-${process.pid}-${n}`));
    const [a, b] = dirs.map((dir) => {
      mkdirSync(dir);
      return statSync(dir, { bigint: true }).ino; // the cgroup id
    });
    const catIn = (dir: string) =>
      run('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs; exec cat ${watched}`]);
    const readers = (pids: number[]) =>
      kprobes(events, 'team-files')
        .filter((e) => pids.includes(e.process_kprobe!.process!.pid!))
        .map((e) => e.process_kprobe!.process!.pid);
    try {
      const loaded = policies.add(filePolicy('team-files', watched, 'TracingPolicyNamespaced'));
      expect(loaded).toMatchObject({ kind: 'TracingPolicyNamespaced', namespace: 'team', cgroups: 0 });
      // an empty set matches nothing
      const none = [await catIn(dirs[0]!), await catIn(dirs[1]!)].map((r) => r.pid);
      expect(policies.setCgroups('team', 'team-files', [a!])).toEqual({ add: [a], remove: [] });
      const onlyA = [await catIn(dirs[0]!), await catIn(dirs[1]!)].map((r) => r.pid);
      await waitFor(() => readers([onlyA[0]!]).length > 0 || undefined);
      // replaced: only the difference is written
      expect(policies.setCgroups('team', 'team-files', new Set([b!]))).toEqual({ add: [b], remove: [a] });
      expect(policies.setCgroups('team', 'team-files', [b!])).toEqual({ add: [], remove: [] });
      const onlyB = [await catIn(dirs[0]!), await catIn(dirs[1]!)].map((r) => r.pid);
      await waitFor(() => readers([onlyB[1]!]).length > 0 || undefined);
      for (const pid of [...none, ...onlyA, ...onlyB]) await waitFor(() => exitOf(events, pid));
      sensor.drain();
      expect(new Set(readers([...none, ...onlyA, ...onlyB]))).toEqual(new Set([onlyA[0], onlyB[1]]));
      expect(policies.list()).toEqual([expect.objectContaining({ name: 'team-files', cgroups: 1 })]);
      expect(() => policies.setCgroups('team', 'team-files', [0n])).toThrow(/0 is not a cgroup id/);
      expect(policies.setCgroups('other', 'team-files', [a!])).toBeUndefined();
    } finally {
      policies.delete('team-files', 'team');
      for (const dir of dirs) rmdirSync(dir);
    }
  });

  kernelTest('nothing was lost, every record decoded', sensorFeature, () => {
    sensor.drain();
    expect(sensor.stats()).toMatchObject({ badRecords: 0, lostTotal: 0 });
    expect(policies.list()).toEqual([]);
  });
});

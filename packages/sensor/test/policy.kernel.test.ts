import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
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

  kernelTest('nothing was lost, every record decoded', sensorFeature, () => {
    sensor.drain();
    expect(sensor.stats()).toMatchObject({ badRecords: 0, lostTotal: 0 });
    expect(policies.list()).toEqual([]);
  });
});

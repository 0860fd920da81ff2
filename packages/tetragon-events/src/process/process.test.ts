import { describe, expect, test } from '@jest/globals';
import { FakeClock } from '@ciliary/core/testing';
import type { GetEventsResponse, Process } from '../model/types.generated';
import { decodeArgs, processFlags } from './args';
import { buildExecEvent, buildExitEvent, buildProcess } from './builders';
import { ProcessCache } from './cache';
import { EventCache } from './event-cache';
import { execId, parseExecId, unknownParentExecId } from './exec-id';
import { exitStatus } from './exit';

describe('exec_id', () => {
  test('is base64 of node:ktime:pid, as in Tetragon’s exports', () => {
    expect(execId('gke-michi-22038-default-pool-43730fab-l8zr', 13665822624856n, 68790)).toBe(
      'Z2tlLW1pY2hpLTIyMDM4LWRlZmF1bHQtcG9vbC00MzczMGZhYi1sOHpyOjEzNjY1ODIyNjI0ODU2OjY4Nzkw',
    );
    expect(parseExecId('bWluaWt1YmU6MzM0OTc2NjQ2MjgyMjozODMxMw==')).toEqual({
      node: 'minikube',
      ktime: 3349766462822n,
      pid: 38313,
    });
    expect(parseExecId(unknownParentExecId('n'))).toEqual({ node: 'n', ktime: 1n, pid: 0 });
    expect(parseExecId(execId('a:b', 5, 6))).toEqual({ node: 'a:b', ktime: 5n, pid: 6 });
    expect(parseExecId('bm90LWFuLWlk')).toBeUndefined();
  });
});

describe('exit status and signal', () => {
  test('status is the high byte, the signal the low byte without the core-dump bit', () => {
    expect(exitStatus(0)).toEqual({ status: 0, signal: '' });
    expect(exitStatus(1 << 8)).toEqual({ status: 1, signal: '' });
    expect(exitStatus(9)).toEqual({ status: 0, signal: 'SIGKILL' });
    expect(exitStatus(0x80 | 11)).toEqual({ status: 0, signal: 'SIGSEGV' });
    expect(exitStatus(15)).toEqual({ status: 0, signal: 'SIGTERM' });
  });
});

describe('process flags and arguments', () => {
  test('flags are named in Tetragon’s order', () => {
    expect(processFlags(0x1 | 0x1000 | 0x4000)).toBe('execve rootcwd clone');
    expect(processFlags(0x4 | 0x2000000)).toBe('procFS inInitTree');
  });

  test('arguments buffer: NUL separated, cwd last unless a flag says otherwise, spaces quoted', () => {
    const buf = Buffer.from('-c\0curl https://x\0/home/alice\0');
    expect(decodeArgs(buf, 'execve clone')).toEqual({ arguments: '-c "curl https://x"', cwd: '/home/alice' });
    expect(decodeArgs(Buffer.from('-D'), 'execve rootcwd')).toEqual({ arguments: '-D', cwd: '/' });
    expect(decodeArgs(Buffer.from('a\0b'), 'execve nocwd')).toEqual({ arguments: 'a b', cwd: '' });
  });

  test('arguments buffer: Tetragon’s quirks are kept (trailing NULs, a leading quoted argument, empty first)', () => {
    expect(decodeArgs(Buffer.from('hello world\0x\0/tmp\0'), 'execve')).toEqual({
      arguments: ' "hello world" x',
      cwd: '/tmp',
    });
    expect(decodeArgs(Buffer.from('\0x\0/tmp\0'), 'execve')).toEqual({ arguments: 'x', cwd: '/tmp' });
    expect(decodeArgs(Buffer.from('a\0/tmp\0\0'), 'execve')).toEqual({ arguments: 'a', cwd: '/tmp' });
    expect(decodeArgs(Buffer.from('a\0\0'), 'execve rootcwd')).toEqual({ arguments: 'a', cwd: '/' });
    expect(decodeArgs(Buffer.from('a\0/tmp \0'), 'procFS')).toEqual({ arguments: 'a', cwd: '/tmp' });
    expect(decodeArgs(Buffer.from(''), 'execve')).toEqual({ arguments: '', cwd: '' });
  });
});

const NODE = 'node-a';
function proc(pid: number, ktime: number, parent?: [number, number]): Process {
  return buildProcess({
    node: NODE,
    pid,
    ktime: BigInt(ktime),
    startTimeNs: 1_700_000_000_000_000_000n + BigInt(ktime),
    uid: 0,
    binary: `/bin/p${pid}`,
    cwd: '/',
    flags: 0x1,
    ...(parent ? { parent: { pid: parent[0], ktime: BigInt(parent[1]) } } : {}),
  });
}

describe('event builders', () => {
  test('an exec event carries the exec_id, parent link and Tetragon’s defaults', () => {
    const event = buildExecEvent({
      node: NODE,
      pid: 42,
      ktime: 1000n,
      startTimeNs: 1_713_061_094_100_000_000n,
      parent: { pid: 1, ktime: 10n },
      uid: 0,
      binary: '/usr/bin/curl',
      arguments: 'cilium.io',
      cwd: '/',
      flags: 0x1 | 0x1000 | 0x4000,
    });
    expect(event).toEqual({
      process_exec: {
        process: {
          exec_id: execId(NODE, 1000, 42),
          pid: 42,
          uid: 0,
          cwd: '/',
          binary: '/usr/bin/curl',
          arguments: 'cilium.io',
          flags: 'execve rootcwd clone',
          start_time: '2024-04-14T02:18:14.100Z',
          auid: 4294967295,
          parent_exec_id: execId(NODE, 10, 1),
          tid: 42,
        },
      },
      node_name: NODE,
      time: '2024-04-14T02:18:14.100Z',
    });
  });

  test('an exit event turns the exit code into status or signal', () => {
    const p = proc(5, 50);
    expect(buildExitEvent({ node: NODE, process: p, exitCode: 2 << 8, timeNs: 0n }).process_exit).toEqual({
      process: p,
      status: 2,
      time: '1970-01-01T00:00:00Z',
    });
    expect(buildExitEvent({ node: NODE, process: p, exitCode: 9, timeNs: 0n }).process_exit?.signal).toBe(
      'SIGKILL',
    );
  });
});

describe('process cache', () => {
  test('refcounts: an exec holds itself and its parent, an exit releases them; GC removes after two passes', () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock, gcIntervalMs: 30_000 });
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({ clock, cache, emit: (e) => emitted.push(e) });
    const parent = proc(1, 10);
    const child = proc(2, 20, [1, 10]);
    cache.add(parent);
    cache.ref(parent.exec_id!, 'process');
    events.submit({ process_exec: { process: child } });
    expect(cache.entry(parent.exec_id!)?.refcnt).toBe(2);
    expect(cache.entry(child.exec_id!)?.refcnt).toBe(1);
    expect(emitted[0]?.process_exec?.parent?.binary).toBe('/bin/p1');
    expect(emitted[0]?.process_exec?.process?.refcnt).toBe(1);

    events.submit({ process_exit: { process: { exec_id: child.exec_id!, pid: 2 }, status: 0 } });
    expect(emitted[1]?.process_exit?.process?.binary).toBe('/bin/p2');
    expect(cache.entry(child.exec_id!)).toMatchObject({
      refcnt: 0,
      color: 'deletePending',
      refcntOps: { 'process++': 1, 'process--': 1 },
    });
    expect(cache.entry(parent.exec_id!)?.refcnt).toBe(1);
  });

  test('GC: pending, then ready, then gone', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock, gcIntervalMs: 30_000 });
    const p = proc(3, 30);
    cache.add(p);
    cache.ref(p.exec_id!, 'process');
    cache.unref(p.exec_id!, 'process');
    cache.start();
    expect(cache.entry(p.exec_id!)?.color).toBe('deletePending');
    await clock.advance(30_000);
    expect(cache.entry(p.exec_id!)?.color).toBe('deleteReady');
    await clock.advance(30_000);
    expect(cache.has(p.exec_id!)).toBe(false);
    expect(cache.stats().collected).toBe(1);
    cache.stop();
  });

  test('an entry referenced again after reaching 0 leaves the delete queue; a release at 0 changes nothing', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock, gcIntervalMs: 30_000 });
    const p = proc(4, 40);
    cache.add(p);
    cache.ref(p.exec_id!, 'process');
    cache.unref(p.exec_id!, 'process');
    cache.ref(p.exec_id!, 'parent');
    cache.gc();
    cache.gc();
    expect(cache.entry(p.exec_id!)).toMatchObject({ refcnt: 1, color: 'inUse' });
    cache.unref(p.exec_id!, 'parent');
    cache.unref(p.exec_id!, 'parent');
    expect(cache.entry(p.exec_id!)).toMatchObject({ refcnt: 0, color: 'deletePending' });
    cache.gc();
    cache.unref(p.exec_id!, 'parent');
    expect(cache.entry(p.exec_id!)?.color).toBe('deleteReady');
    cache.gc();
    expect(cache.has(p.exec_id!)).toBe(false);
  });

  test('memory is bounded: least recently used entries are evicted', () => {
    const cache = new ProcessCache({ clock: new FakeClock(), maxEntries: 3 });
    const ps = [1, 2, 3, 4].map((i) => proc(i, i * 10));
    ps.slice(0, 3).forEach((p) => cache.add(p));
    cache.get(ps[0]!.exec_id!); // keeps 1 fresh
    cache.add(ps[3]!);
    expect(cache.size).toBe(3);
    expect(cache.has(ps[0]!.exec_id!)).toBe(true);
    expect(cache.has(ps[1]!.exec_id!)).toBe(false);
    expect(cache.stats().evicted).toBe(1);
  });

  test('ancestors are walked beyond the parent and stop at init', () => {
    const cache = new ProcessCache({ clock: new FakeClock() });
    const init = proc(1, 1);
    const sshd = proc(100, 100, [1, 1]);
    const bash = proc(200, 200, [100, 100]);
    const sh = proc(300, 300, [200, 200]);
    [init, sshd, bash, sh].forEach((p) => cache.add(p));
    expect(cache.ancestors(sh).map((p) => p.pid)).toEqual([100, 1]);
  });
});

describe('event cache', () => {
  test('an event whose process is unknown waits, and is emitted once the exec arrives', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock });
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({ clock, cache, emit: (e) => emitted.push(e) });
    const p = proc(7, 70);
    events.submit({
      process_kprobe: { process: { exec_id: p.exec_id!, pid: 7, tid: 8 }, function_name: 'f' },
    });
    expect(emitted).toHaveLength(0);
    expect(events.stats().parked).toBe(1);
    events.submit({ process_exec: { process: p } });
    expect(emitted).toHaveLength(1);
    await clock.advance(2000);
    expect(emitted).toHaveLength(2);
    expect(emitted[1]?.process_kprobe?.process).toMatchObject({ binary: '/bin/p7', tid: 8 });
    expect(events.stats()).toEqual({ parked: 0, resolvedLate: 1, gaveUp: 0 });
  });

  test('after 15 retries every 2 s the event goes out as it is', async () => {
    const clock = new FakeClock();
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({
      clock,
      cache: new ProcessCache({ clock }),
      emit: (e) => emitted.push(e),
    });
    events.submit({ process_kprobe: { process: { exec_id: 'dW5rbm93bjoxOjE=' } } });
    await clock.advance(2000 * 14);
    expect(emitted).toHaveLength(0);
    await clock.advance(2000);
    expect(emitted).toHaveLength(1);
    expect(events.stats().gaveUp).toBe(1);
  });

  test('an exec that waited for its parent takes the parent reference when it arrives', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock });
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({ clock, cache, emit: (e) => emitted.push(e) });
    const parent = proc(50, 500);
    const child = proc(51, 510, [50, 500]);
    events.submit({ process_exec: { process: child } });
    events.submit({ process_exec: { process: parent } });
    await clock.advance(2000);
    expect(emitted.map((e) => e.process_exec?.process?.pid)).toEqual([50, 51]);
    expect(emitted[1]?.process_exec?.parent?.pid).toBe(50);
    expect(cache.refcnt(parent.exec_id!)).toBe(2);
    events.submit({ process_exit: { process: { exec_id: child.exec_id!, pid: 51 } } });
    // The parent still holds its own reference: it is alive and stays cached.
    expect(cache.entry(parent.exec_id!)).toMatchObject({ refcnt: 1, color: 'inUse' });
    cache.gc();
    cache.gc();
    expect(cache.has(parent.exec_id!)).toBe(true);
  });

  test('an exit or kprobe waits for the parent too, so it cannot overtake the exec it follows', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock });
    const emitted: string[] = [];
    const events = new EventCache({ clock, cache, emit: (e) => emitted.push(Object.keys(e)[0]!) });
    const parent = proc(60, 600);
    const child = proc(61, 610, [60, 600]);
    events.submit({ process_exec: { process: child } });
    events.submit({ process_kprobe: { process: { exec_id: child.exec_id!, pid: 61 }, function_name: 'f' } });
    events.submit({ process_exit: { process: { exec_id: child.exec_id!, pid: 61 } } });
    expect(emitted).toEqual([]);
    events.submit({ process_exec: { process: parent } });
    await clock.advance(2000);
    expect(emitted).toEqual(['process_exec', 'process_exec', 'process_kprobe', 'process_exit']);
  });

  test('an event whose parent never arrives goes out with its own process after the last try', async () => {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock });
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({ clock, cache, emit: (e) => emitted.push(e) });
    const orphan = proc(70, 700, [69, 690]);
    events.submit({ process_exec: { process: orphan } });
    events.submit({ process_exit: { process: { exec_id: orphan.exec_id!, pid: 70 }, status: 1 } });
    await clock.advance(2000 * 15);
    expect(emitted).toHaveLength(2);
    expect(emitted[1]?.process_exit?.process?.binary).toBe('/bin/p70');
    expect(emitted[1]?.process_exit?.parent).toBeUndefined();
  });

  test('an exec waits for its parent unless the parent is the kernel', () => {
    const clock = new FakeClock();
    const emitted: GetEventsResponse[] = [];
    const events = new EventCache({
      clock,
      cache: new ProcessCache({ clock }),
      emit: (e) => emitted.push(e),
    });
    events.submit({ process_exec: { process: proc(9, 90, [8, 80]) } });
    expect(emitted).toHaveLength(0);
    events.submit({ process_exec: { process: proc(1, 1) } });
    expect(emitted).toHaveLength(1);
    events.flush();
    expect(emitted).toHaveLength(2);
  });
});

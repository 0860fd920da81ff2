import { describe, expect, test } from '@jest/globals';
import { FakeClock } from '@ciliary/core/testing';
import { EventCache, ProcessCache, Redactor, execId, type GetEventsResponse } from '@ciliary/tetragon-events';
import { ProcessTracker } from './process-tracker';
import { parseEffectiveUid, parseStat } from './procfs';

function setup(redactor?: Redactor) {
  const clock = new FakeClock();
  const cache = new ProcessCache({ clock });
  const out: GetEventsResponse[] = [];
  const events = new EventCache({ clock, cache, emit: (e) => out.push(e) });
  const tracker = new ProcessTracker({
    node: 'n1',
    cache,
    events,
    wallNs: (ns) => ns + 1_700_000_000_000_000_000n,
    ...(redactor ? { redactor } : {}),
  });
  return { cache, out, tracker };
}

const key = (pid: number, ktime: bigint) => ({ pid, ktime });

describe('ProcessTracker', () => {
  test('a clone enters the cache as its parent, the exec replaces it and the exit releases it', () => {
    const { cache, out, tracker } = setup();
    tracker.onProc({
      pid: 10,
      ktime: 100n,
      uid: 0,
      auid: 4294967295,
      binary: '/bin/bash',
      arguments: '',
      cwd: '/root',
    });
    tracker.onClone({
      op: 23,
      ktime: 200n,
      key: key(11, 200n),
      parent: key(10, 100n),
      tid: 11,
      flags: 0x4000,
    });
    const cloneId = execId('n1', 200n, 11);
    expect(cache.get(cloneId)).toMatchObject({
      binary: '/bin/bash',
      flags: 'procFS clone',
      parent_exec_id: execId('n1', 100n, 10),
    });
    tracker.onExec({
      op: 5,
      ktime: 300n,
      key: key(11, 300n),
      parent: key(10, 100n),
      cleanup: key(11, 200n),
      tid: 11,
      uid: 0,
      auid: 1000,
      flags: 0x4001,
      ppid: 10,
      filename: 'ls',
      args: Buffer.from('-l\0a b\0'),
      cwd: '/tmp',
      nspid: 11,
      cgroupId: 1n,
      cgroupName: '',
    });
    const exec = out.at(-1)!.process_exec!;
    expect(exec.process).toMatchObject({
      binary: '/tmp/ls',
      arguments: '-l "a b"',
      cwd: '/tmp',
      flags: 'execve clone',
      auid: 1000,
    });
    expect(exec.parent?.pid).toBe(10);
    expect(cache.entry(cloneId)?.refcnt).toBe(0); // the exec released the clone
    tracker.onExit({ op: 7, ktime: 400n, key: key(11, 300n), code: 0x0200, tid: 11 });
    expect(out.at(-1)!.process_exit).toMatchObject({ status: 2, process: { binary: '/tmp/ls' } });
    expect(cache.entry(execId('n1', 300n, 11))?.refcnt).toBe(0);
  });
});

describe('ProcessTracker redaction', () => {
  test('arguments are redacted as the process enters the cache, so its children see them redacted', () => {
    const redactor = Redactor.compile([
      { binary_regex: ['^/usr/bin/mysql$'], redact: ['--password[= ](\\S+)'] },
    ]);
    if (!redactor.ok) throw new Error('bad filter');
    const { cache, out, tracker } = setup(redactor.value);
    tracker.onProc({
      pid: 10,
      ktime: 100n,
      uid: 0,
      auid: 0,
      binary: '/usr/bin/mysql',
      arguments: '-u root --password=hunter2 app',
      cwd: '/',
    });
    tracker.onExec({
      op: 5,
      ktime: 300n,
      key: key(11, 300n),
      parent: key(10, 100n),
      cleanup: key(0, 0n),
      tid: 11,
      uid: 0,
      auid: 0,
      flags: 0x1,
      ppid: 10,
      filename: '/usr/bin/mysql',
      args: Buffer.from('--password=s3cret\0db\0'),
      cwd: '/',
      nspid: 11,
      cgroupId: 1n,
      cgroupName: '',
    });
    const exec = out.at(-1)!.process_exec!;
    expect(exec.process?.arguments).toBe('--password=***** db');
    expect(exec.parent?.arguments).toBe('-u root --password=***** app');
    expect(cache.get(execId('n1', 100n, 10))?.arguments).toBe('-u root --password=***** app');
    expect(JSON.stringify(out)).not.toMatch(/hunter2|s3cret/);
  });

  test('a binary the filter does not name keeps its arguments', () => {
    const redactor = Redactor.compile([{ binary_regex: ['mysql'], redact: ['--password=(\\S+)'] }]);
    if (!redactor.ok) throw new Error('bad filter');
    const { out, tracker } = setup(redactor.value);
    tracker.onProc({
      pid: 5,
      ktime: 50n,
      uid: 0,
      auid: 0,
      binary: '/bin/sh',
      arguments: '--password=x',
      cwd: '/',
    });
    expect(out.at(-1)!.process_exec!.process?.arguments).toBe('--password=x');
  });
});

describe('/proc parsing', () => {
  test('stat fields after a command name with spaces and parentheses', () => {
    const stat = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 10';
    expect(parseStat(stat)).toEqual({ ppid: 1, starttime: 123456n });
    expect(parseEffectiveUid('Name:\tx\nUid:\t1000\t0\t0\t0\n')).toBe(0);
  });
});

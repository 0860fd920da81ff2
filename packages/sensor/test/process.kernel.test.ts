import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { systemClock } from '@ciliary/core';
import { kernelTest, waitFor } from '@ciliary/testing';
import { parseExecId, type GetEventsResponse } from '@ciliary/tetragon-events';
import { Sensor } from '../src';
import { execOf, exitOf, run, sensorFeature, uniquePinDir } from './kernel';

describe('process lifecycle from BPF', () => {
  let sensor: Sensor;
  let work: string;
  const events: GetEventsResponse[] = [];

  beforeAll(() => {
    if (!sensorFeature.available()) return;
    work = realpathSync(mkdtempSync(path.join(tmpdir(), 'sensor-proc-')));
    sensor = new Sensor({ clock: systemClock(), pinDir: uniquePinDir('proc'), node: 'test-node' });
    sensor.subscribe((e) => events.push(e));
    sensor.start();
  });

  afterAll(() => {
    sensor?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  kernelTest('running processes are reported from /proc with flag procFS', sensorFeature, () => {
    const self = events.find((e) => e.process_exec?.process?.pid === process.pid);
    expect(self?.process_exec?.process).toMatchObject({
      pid: process.pid,
      binary: realpathSync(process.execPath),
      cwd: process.cwd(),
      flags: 'procFS',
      uid: process.getuid!(),
    });
    expect(parseExecId(self!.process_exec!.process!.exec_id!)).toMatchObject({
      node: 'test-node',
      pid: process.pid,
    });
  });

  kernelTest('an exec and its exit: binary, arguments, cwd, parent, status', sensorFeature, async () => {
    const { pid } = await run('/bin/sh', ['-c', 'exit 3', 'arg one'], { cwd: work });
    const exec = await waitFor(() => execOf(events, pid), { description: 'exec event' });
    const process_ = exec.process_exec!.process!;
    expect(process_).toMatchObject({
      pid,
      tid: pid,
      binary: '/bin/sh',
      arguments: '-c "exit 3" "arg one"',
      cwd: work,
      uid: 0,
      flags: 'execve clone',
    });
    expect(exec.process_exec!.parent?.pid).toBe(process.pid);
    expect(process_.parent_exec_id).toBe(exec.process_exec!.parent!.exec_id);
    const exit = await waitFor(() => exitOf(events, pid), { description: 'exit event' });
    expect(exit.process_exit).toMatchObject({
      status: 3,
      process: { exec_id: process_.exec_id, binary: '/bin/sh' },
    });
    expect(exit.process_exit!.signal).toBeUndefined();
    expect(exit.process_exit!.parent?.pid).toBe(process.pid);
  });

  kernelTest('a process killed by a signal exits with that signal', sensorFeature, async () => {
    const done = run('/bin/sleep', ['30']);
    const exec = await waitFor(() =>
      events.find(
        (e) => e.process_exec?.process?.binary === '/bin/sleep' && e.process_exec.process.arguments === '30',
      ),
    );
    process.kill(exec.process_exec!.process!.pid!, 'SIGKILL');
    const { pid, signal } = await done;
    expect(signal).toBe('SIGKILL');
    const exit = await waitFor(() => exitOf(events, pid));
    expect(exit.process_exit).toMatchObject({
      signal: 'SIGKILL',
      process: { exec_id: exec.process_exec!.process!.exec_id },
    });
    expect(exit.process_exit!.status).toBeUndefined();
  });

  kernelTest(
    'grandchildren name their parent; an exec replacing an exec keeps the parent',
    sensorFeature,
    async () => {
      const { pid } = await run('/bin/sh', ['-c', '/usr/bin/env /bin/true marker-7; exit 0'], { cwd: '/' });
      const sh = await waitFor(() => execOf(events, pid));
      expect(sh.process_exec!.process).toMatchObject({ cwd: '/', flags: 'execve rootcwd clone' });
      const env = await waitFor(() =>
        events.find(
          (e) =>
            e.process_exec?.process?.binary === '/usr/bin/env' &&
            e.process_exec.process.arguments === '/bin/true marker-7',
        ),
      );
      const truth = await waitFor(() =>
        events.find(
          (e) =>
            e.process_exec?.process?.binary === '/bin/true' &&
            e.process_exec.process.arguments === 'marker-7',
        ),
      );
      const shId = sh.process_exec!.process!.exec_id;
      expect(env.process_exec!.process!.parent_exec_id).toBe(shId);
      expect(env.process_exec!.parent?.exec_id).toBe(shId);
      // env execs true in the same process: true's parent is still sh, and it is not a clone any more
      expect(truth.process_exec!.process!.pid).toBe(env.process_exec!.process!.pid);
      expect(truth.process_exec!.process).toMatchObject({ parent_exec_id: shId, flags: 'execve rootcwd' });
      const exit = await waitFor(() => exitOf(events, truth.process_exec!.process!.pid!));
      expect(exit.process_exit!.process!.exec_id).toBe(truth.process_exec!.process!.exec_id);
    },
  );

  kernelTest('arguments past 4096 bytes are cut and flagged truncArgs', sensorFeature, async () => {
    const long = 'x'.repeat(3000);
    const { pid } = await run('/bin/true', [long, long, 'tail'], { cwd: work });
    const exec = await waitFor(() => execOf(events, pid));
    const p = exec.process_exec!.process!;
    expect(p.flags).toBe('execve truncArgs clone'); // Tetragon's flag order
    expect(p.arguments!.startsWith(`${long} x`)).toBe(true);
    expect(p.arguments!.length).toBeLessThan(4096);
    expect(p.cwd).toBe(work);
  });

  kernelTest('nothing was lost and every record decoded', sensorFeature, () => {
    sensor.drain();
    expect(sensor.stats()).toMatchObject({ badRecords: 0, lostTotal: 0 });
  });
});

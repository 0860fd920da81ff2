import type { Bench } from 'tinybench';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '@ciliary/core';
import { PolicyManager, Sensor, systemKernelFacts } from '../src';

// Overhead of the sensor on real workloads: the same shell loops with the sensor stopped and running.
// The sensor runs in this process, as it does in the agent, and consumes its ring buffer while the
// workload runs (spawn, not spawnSync, so the event loop is free). The machine is shared, so after
// the tasks the same workloads are measured again without and with in pairs, one right after the
// other, and the medians of the pairs are printed below the table.

const EXECS_PER_ITERATION = 2000; // 10 iterations: 20,000 short-lived processes per task
const pinDir = `/sys/fs/bpf/ciliary-bench-sensor-${process.pid}`;

function sh(script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`workload exited ${code}`))));
  });
}

const execLoop = `i=0; while [ $i -lt ${EXECS_PER_ITERATION} ]; do /bin/true; i=$((i+1)); done`;

/** Wall time (ms) of a script, or CPU time (user + system of its processes), which other jobs' load distorts less. */
function measure(script: string, what: 'wall' | 'cpu'): Promise<number> {
  const started = process.hrtime.bigint();
  const timed = what === 'cpu' ? `TIMEFORMAT='%3U %3S'; time ( ${script} ) > /dev/null` : script;
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/bash', ['-c', timed], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`workload exited ${code}: ${stderr}`));
      if (what === 'wall') return resolve(Number(process.hrtime.bigint() - started) / 1e6);
      const [user, system] = stderr.trim().split(/\s+/).slice(-2).map(Number);
      resolve((user! + system!) * 1000);
    });
  });
}

const PAIRS = 12;
const pairs = new Map<string, { what: 'wall' | 'cpu'; off: number[]; on: number[] }>();
let alternatingWorkloads: Array<readonly [string, string]> = [];

/** One pair: the script without, then with (`enable` before, `disable` after). */
async function pair(
  label: string,
  script: string,
  what: 'wall' | 'cpu',
  enable: () => void,
  disable: () => void,
): Promise<void> {
  const entry = pairs.get(label) ?? { what, off: [], on: [] };
  pairs.set(label, entry);
  entry.off.push(await measure(script, what));
  enable();
  try {
    entry.on.push(await measure(script, what));
  } finally {
    disable();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? NaN;
}

function pairReport(): string[] {
  return [...pairs].map(([label, { what, off, on }]) => {
    const added = (100 * (median(on) / median(off) - 1)).toFixed(1);
    return `${label}: ${median(off).toFixed(0)} ms without, ${median(on).toFixed(0)} ms with, ${added} % (${what} time, medians of ${off.length} alternating pairs)`;
  });
}

let sensor: Sensor | undefined;
let policies: PolicyManager | undefined;
let events = 0;
const report: string[] = [];

function start(ringBufferBytes?: number): void {
  if (sensor) throw new Error('a sensor is already running');
  events = 0;
  sensor = new Sensor({
    clock: systemClock(),
    pinDir,
    procScan: false,
    ...(ringBufferBytes ? { ringBufferBytes } : {}),
  });
  sensor.subscribe(() => events++);
  sensor.start();
}

function stop(label: string): void {
  if (!sensor) return;
  sensor.drain();
  const stats = sensor.stats();
  report.push(
    `${label}: ${stats.records} records, ${events} events, ${stats.lostTotal} lost ${JSON.stringify(stats.lost)}`,
  );
  policies?.close();
  policies = undefined;
  sensor.stop();
  sensor = undefined;
}

function quietStop(): void {
  closePolicies();
  sensor?.stop();
  sensor = undefined;
}

function closePolicies(): void {
  policies?.close();
  policies = undefined;
}

function filePolicy(): void {
  policies = new PolicyManager(sensor!, systemKernelFacts());
  policies.add({
    apiVersion: 'cilium.io/v1alpha1',
    kind: 'TracingPolicy',
    metadata: { name: 'file-monitoring' },
    spec: {
      kprobes: [
        {
          call: 'security_file_permission',
          syscall: false,
          args: [
            { index: 0, type: 'file' },
            { index: 1, type: 'int' },
          ],
          selectors: [{ matchArgs: [{ index: 0, operator: 'Prefix', values: ['/etc/'] }] }],
        },
      ],
    },
  });
}

export async function register(bench: Bench, context: { tmpdir: string }): Promise<void> {
  // Long workloads: exactly 10 iterations each (time limit off) rather than as many as fit in a second.
  const settings = bench as unknown as { iterations: number; time: number; warmupIterations: number };
  settings.iterations = 10;
  settings.time = 0;
  settings.warmupIterations = 1;
  const big = path.join(context.tmpdir, 'big.bin');
  writeFileSync(big, Buffer.alloc(64 << 20, 7));
  // 8 x 64 MiB in 4 KiB reads: 131,072 read(2) and as many write(2) calls, each passing the file hook
  const readLoop = `for i in 1 2 3 4 5 6 7 8; do dd if=${big} of=/dev/null bs=4k status=none; done`;
  // the same bytes as cat reads them (128 KiB reads)
  const catLoop = `for i in 1 2 3 4 5 6 7 8; do cat ${big} > /dev/null; done`;
  // 2,000 small files opened and read once each: a new struct file every time (the cache's miss path)
  const small = path.join(context.tmpdir, 'small');
  mkdirSync(small, { recursive: true });
  for (let i = 0; i < 2000; i++) writeFileSync(path.join(small, `f${i}`), Buffer.alloc(4096, 7));
  const smallLoop = `cat ${small}/* > /dev/null`;

  bench.add(`exec ${EXECS_PER_ITERATION} processes, no sensor`, () => sh(execLoop));
  bench.add(`exec ${EXECS_PER_ITERATION} processes, sensor running`, () => sh(execLoop), {
    beforeAll: () => start(),
    afterAll: () => stop('exec workload'),
  });
  for (const [label, script] of [
    ['read 512 MiB in 4 KiB reads (dd)', readLoop],
    ['read 512 MiB in 128 KiB reads (cat)', catLoop],
    ['read 2,000 files of 4 KiB (cat)', smallLoop],
  ] as const) {
    bench.add(`${label}, no sensor`, () => sh(script));
    bench.add(`${label}, sensor + file policy (Prefix /etc/)`, () => sh(script), {
      beforeAll: () => {
        start();
        filePolicy();
      },
      afterAll: () => stop(`${label} with file policy`),
    });
  }
  alternatingWorkloads = [
    ['dd 4 KiB reads', readLoop],
    ['cat 128 KiB reads', catLoop],
    ['2,000 files', smallLoop],
  ];
  // A burst while the consumer is busy: spawnSync blocks this event loop, so every record
  // waits in the ring buffer until the burst is over.
  for (const [label, bytes] of [
    ['8 MiB ring buffer', 8 << 20],
    ['64 KiB ring buffer', 64 << 10],
  ] as const) {
    bench.add(
      `burst of ${EXECS_PER_ITERATION} execs with the consumer blocked, ${label}`,
      () => {
        spawnSync('/bin/sh', ['-c', execLoop], { stdio: 'ignore' });
        sensor!.drain();
      },
      { beforeAll: () => start(bytes), afterAll: () => stop(`burst, ${label}`) },
    );
  }
}

/**
 * Exec: the sensor started and stopped around each run (wall time: the consumer is this process).
 * Files: the policy loaded and unloaded around each run, the sensor running throughout (CPU time
 * of the workload: the hook's cost is system time of the reading process).
 */
async function alternate(): Promise<void> {
  for (let i = 0; i < PAIRS; i++) await pair('exec', execLoop, 'wall', () => start(), quietStop);
  start();
  try {
    for (const [label, script] of alternatingWorkloads)
      for (let i = 0; i < PAIRS; i++) await pair(label, script, 'cpu', filePolicy, closePolicies);
  } finally {
    quietStop();
  }
}

export async function teardown(): Promise<void> {
  stop('teardown');
  await alternate();
  console.log([...report, ...pairReport()].join('\n'));
}

import type { Bench } from 'tinybench';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { systemClock } from '@ciliary/core';
import { PolicyManager, Sensor, systemKernelFacts } from '../src';

// Overhead of the sensor on real workloads: the same shell loops with the sensor stopped and running.
// The sensor runs in this process, as it does in the agent, and consumes its ring buffer while the
// workload runs (spawn, not spawnSync, so the event loop is free).

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

let sensor: Sensor | undefined;
let policies: PolicyManager | undefined;
let events = 0;
const report: string[] = [];

function start(ringBufferBytes?: number): void {
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

export function teardown(): void {
  stop('teardown');
  console.log(report.join('\n'));
}

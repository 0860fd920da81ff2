import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { Bench } from 'tinybench';
import { systemClock } from '@ciliary/core';
import { EventCache, ProcessCache, buildProcess, type GetEventsResponse, type Process } from '../src';

const NODE = 'bench-node';
const STREAM = 5_000_000;

function gcNow(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

function process(pid: number): Process {
  return buildProcess({
    node: NODE,
    pid,
    ktime: BigInt(pid) * 1000n,
    startTimeNs: 1_700_000_000_000_000_000n + BigInt(pid),
    uid: 0,
    binary: '/usr/bin/curl',
    arguments: '-s https://cilium.io',
    cwd: '/',
    flags: 0x4001,
    parent: { pid: 1, ktime: 1000n },
  });
}

/**
 * Streams exec, kprobe and exit events for new processes through the event and process caches,
 * with Tetragon's default bound (65,536 processes), and reports the heap along the way.
 */
function memoryOverStream(): { events: number; heapMiB: number[]; entries: number; seconds: number } {
  const clock = systemClock();
  const cache = new ProcessCache({ clock, maxEntries: 65_536 });
  let emitted = 0;
  const events = new EventCache({ clock, cache, emit: () => emitted++ });
  cache.add(process(1));
  cache.ref(process(1).exec_id!, 'process');
  const heapMiB: number[] = [];
  const started = Date.now();
  let pid = 2;
  let sent = 0;
  while (sent < STREAM) {
    const p = process(pid++);
    const stub = { exec_id: p.exec_id!, pid: p.pid! };
    const batch: GetEventsResponse[] = [
      { process_exec: { process: p }, node_name: NODE },
      { process_kprobe: { process: stub, function_name: 'tcp_connect' }, node_name: NODE },
      { process_exit: { process: stub }, node_name: NODE },
    ];
    for (const e of batch) events.submit(e);
    sent += batch.length;
    if (sent % 30_000 === 0) cache.gc(); // GC passes, as the 30 s ticker would run them
    if (sent % 1_000_002 === 0) {
      gcNow();
      heapMiB.push(Math.round((v8.getHeapStatistics().used_heap_size / 2 ** 20) * 10) / 10);
    }
  }
  if (emitted !== sent) throw new Error(`emitted ${emitted} of ${sent}`);
  if (events.stats().gaveUp > 0) throw new Error('events were emitted unresolved');
  return { events: sent, heapMiB, entries: cache.size, seconds: (Date.now() - started) / 1000 };
}

export async function register(bench: Bench): Promise<void> {
  const result = memoryOverStream();
  const rate = Math.round(result.events / result.seconds).toLocaleString('en-US');
  console.log(
    `process cache: ${result.events.toLocaleString('en-US')} events at ${rate}/s; heap after each million: ${result.heapMiB.join(', ')} MiB; ${result.entries} entries left`,
  );
  const clock = systemClock();
  const cache = new ProcessCache({ clock, maxEntries: 65_536 });
  const ids: string[] = [];
  for (let i = 0; i < 65_536; i++) {
    const p = process(i + 10);
    cache.add(p);
    ids.push(p.exec_id!);
  }
  let i = 0;
  bench.add('process cache lookup (65,536 entries)', () => {
    cache.get(ids[i++ & 0xffff]!);
  });
  bench.add(
    `event + process cache, exec/kprobe/exit stream (heap per million: ${result.heapMiB.join('/')} MiB)`,
    () => {
      const p = process(100_000 + (i++ % 1_000_000));
      const events = new EventCache({ clock, cache, emit: () => undefined });
      events.submit({ process_exec: { process: p } });
      events.submit({ process_exit: { process: { exec_id: p.exec_id! } } });
    },
  );
}

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Bench } from 'tinybench';
import { KernelBackend, policyEntry, policyKey, policyMap, type MapHandle } from '../src';
import { buildMaptool } from '../test/support/c-layouts';

const N = 1000;
const pinRoot = `/sys/fs/bpf/ciliary-bench-${process.pid}`;

/**
 * Kernel map operations through libbpf/koffi on a policy map (8-byte keys,
 * 24-byte values), each task doing 1,000 operations, next to the same syscalls
 * made by a C loop (test/c/maptool.c), printed as the physical limit here.
 */
export async function register(bench: Bench): Promise<void> {
  const backend = new KernelBackend();
  const map: MapHandle = backend.open(policyMap(1, { maxEntries: 65536 }).spec, { pinRoot });
  const keys = Array.from({ length: N }, (_, i) =>
    policyKey.encode({ sec_label: 256 + i, dport: 80, protocol: 6, egress: 0 }),
  );
  const value = policyEntry.encode({ proxy_port: 0, deny: 0, packets: 0n, bytes: 0n });
  const entries = keys.map((k) => [k, value] as const);

  // The C loop does the same 1,000 operations per run as a task's sample; 100 runs, median rates, so
  // both sides are compared the same way on a shared machine (a preempted run only slows one sample).
  const maptool = buildMaptool();
  const runs = Array.from(
    { length: 100 },
    () =>
      JSON.parse(
        execFileSync(maptool, ['bench', `${pinRoot}/${map.spec.name}`, String(N), '1'], { encoding: 'utf8' }),
      ) as Record<string, number>,
  );
  const median = (k: string): number => {
    const sorted = runs.map((r) => r[k] ?? 0).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };
  const rates = Object.fromEntries(Object.keys(runs[0] ?? {}).map((k) => [k, median(k)]));
  console.log(`C loop, median of 100 runs of ${N} operations each (per second):`, JSON.stringify(rates));

  bench.add(`single update x${N}`, () => {
    for (const key of keys) map.update(key, value);
  });
  bench.add(`single lookup x${N}`, () => {
    for (const key of keys) map.lookup(key);
  });
  bench.add(`typed set (encode + update) x${N}`, () => {
    for (let i = 0; i < N; i++)
      map.update(
        policyKey.encode({ sec_label: 256 + i, dport: 80, protocol: 6, egress: 0 }),
        policyEntry.encode({ proxy_port: 0, deny: 0, packets: 0n, bytes: 0n }),
      );
  });
  bench.add(`batch update of ${N}`, () => map.updateBatch(entries));
  bench.add(`batch lookup of the whole map (${N}+ entries)`, () => void map.lookupBatch(N));
  bench.add(`iterate ${N}+ entries (next key + lookup)`, () => {
    for (const _ of map.entries());
  });
}

export async function teardown(): Promise<void> {
  rmSync(pinRoot, { recursive: true, force: true });
}

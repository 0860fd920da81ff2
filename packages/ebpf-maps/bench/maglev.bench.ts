import type { Bench } from 'tinybench';
import { maglevTable, type MaglevBackend } from '../src';

const backends = (count: number): MaglevBackend[] =>
  Array.from({ length: count }, (_, i) => ({ id: i + 1, address: `10.${i >> 8}.${i & 255}.1`, port: 8080 }));

/** Maglev table builds at the sizes the issue names and Cilium's benchmark uses. */
export async function register(bench: Bench): Promise<void> {
  const hundred = backends(100);
  const thousand = backends(1000);
  bench.add('maglev M=16381, 100 backends', () => void maglevTable(hundred, { tableSize: 16381 }));
  bench.add('maglev M=131071, 1000 backends', () => void maglevTable(thousand, { tableSize: 131071 }));
  bench.add(
    'maglev M=16381, 1000 backends, weighted',
    () =>
      void maglevTable(
        thousand.map((b, i) => ({ ...b, weight: 1 + (i % 5) })),
        { tableSize: 16381 },
      ),
  );
}

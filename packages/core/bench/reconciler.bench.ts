import type { Bench } from 'tinybench';
import { Reconciler, silentLogger, systemClock, type ReconcileTarget } from '../src';

/** A target that stores entries in memory, so the figures are the reconciler's own cost. */
class MemoryTarget implements ReconcileTarget<number, number> {
  readonly entries = new Map<number, number>();
  async update(key: number, value: number): Promise<void> {
    this.entries.set(key, value);
  }
  async delete(key: number): Promise<void> {
    this.entries.delete(key);
  }
  async list(): Promise<Iterable<readonly [number, number]>> {
    return [...this.entries];
  }
}

function desired(size: number, generation: number, changed: number): Array<[number, number]> {
  return Array.from({ length: size }, (_, i) => [i, i < changed ? generation : 0]);
}

export async function register(bench: Bench): Promise<void> {
  const size = 10_000;
  const target = new MemoryTarget();
  const reconciler = new Reconciler<number, number>({
    name: 'bench',
    target,
    keyId: String,
    clock: systemClock(),
    logger: silentLogger(),
    resyncIntervalMs: 0,
    retry: { initialMs: 10, maxMs: 100 },
  });
  reconciler.start();
  reconciler.setDesired(desired(size, 0, 0));
  await reconciler.whenIdle();
  let generation = 0;

  bench.add(`setDesired ${size} entries, 100 changed, applied`, async () => {
    generation++;
    reconciler.setDesired(desired(size, generation, 100));
    await reconciler.whenIdle();
  });
  bench.add(`setDesired ${size} entries, none changed`, async () => {
    reconciler.setDesired(desired(size, generation, 100));
    await reconciler.whenIdle();
  });
  bench.add(`full resync of ${size} entries`, async () => {
    reconciler.requestResync();
    await reconciler.whenIdle();
  });
}

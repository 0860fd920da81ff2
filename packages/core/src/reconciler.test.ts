import { describe, expect, test } from '@jest/globals';
import { FakeClock } from './testing';
import { Reconciler, type ReconcileTarget } from './reconciler';
import { silentLogger } from './logger';

/** An in-memory target that records every write and can be told to fail. */
class RecordingTarget implements ReconcileTarget<string, number> {
  readonly entries = new Map<string, number>();
  readonly writes: string[] = [];
  failing = new Set<string>();
  listFails = false;

  async update(key: string, value: number): Promise<void> {
    this.writes.push(`update ${key}=${value}`);
    if (this.failing.has(key)) throw new Error(`EBUSY on ${key}`);
    this.entries.set(key, value);
  }
  async delete(key: string): Promise<void> {
    this.writes.push(`delete ${key}`);
    if (this.failing.has(key)) throw new Error(`EBUSY on ${key}`);
    this.entries.delete(key);
  }
  async list(): Promise<Iterable<readonly [string, number]>> {
    if (this.listFails) throw new Error('EPERM');
    return [...this.entries];
  }
}

function setup(resyncIntervalMs = 60_000) {
  const clock = new FakeClock(1_000);
  const target = new RecordingTarget();
  const reconciler = new Reconciler<string, number>({
    name: 'test',
    target,
    keyId: (k) => k,
    clock,
    logger: silentLogger(),
    resyncIntervalMs,
    retry: { initialMs: 100, maxMs: 1_000 },
  });
  return { clock, target, reconciler };
}

describe('Reconciler', () => {
  test('writes the desired set and then only the difference', async () => {
    const { clock, target, reconciler } = setup();
    reconciler.start();
    reconciler.setDesired([
      ['a', 1],
      ['b', 2],
    ]);
    await clock.advance(0);
    expect([...target.entries]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    target.writes.length = 0;
    reconciler.setDesired([
      ['a', 1],
      ['b', 3],
      ['c', 4],
    ]);
    await clock.advance(0);
    expect(target.writes).toEqual(['update b=3', 'update c=4']);
    target.writes.length = 0;
    reconciler.setDesired([['c', 4]]);
    await clock.advance(0);
    expect(target.writes.sort()).toEqual(['delete a', 'delete b']);
    expect(reconciler.status()).toMatchObject({ desired: 1, pending: 0, errors: 0, pendingDeletes: 0 });
  });

  test('prunes entries nobody wants and repairs drift on resync', async () => {
    const { clock, target, reconciler } = setup(5_000);
    target.entries.set('stale', 9);
    reconciler.start();
    reconciler.setDesired([['a', 1]]);
    await clock.advance(0);
    expect([...target.entries]).toEqual([['a', 1]]);
    expect(reconciler.status().pruned).toBe(1);

    target.entries.set('a', 42); // someone wrote behind our back
    target.entries.set('other', 7);
    await clock.advance(5_000);
    expect([...target.entries]).toEqual([['a', 1]]);
    expect(reconciler.status().pruned).toBe(2);
  });

  test('retries failed writes with back-off and reports the error meanwhile', async () => {
    const { clock, target, reconciler } = setup();
    target.failing.add('a');
    reconciler.start();
    reconciler.upsert('a', 1);
    await clock.advance(0);
    expect(reconciler.entryState('a')).toEqual({ state: 'error', lastError: 'EBUSY on a' });
    expect(reconciler.status().lastError).toBe('update a: EBUSY on a');

    await clock.advance(99);
    expect(target.writes).toEqual(['update a=1']);
    await clock.advance(1);
    expect(target.writes).toEqual(['update a=1', 'update a=1']);
    await clock.advance(199);
    expect(target.writes).toHaveLength(2); // second retry waits 200 ms
    target.failing.clear();
    await clock.advance(1);
    expect(target.entries.get('a')).toBe(1);
    expect(reconciler.entryState('a')).toEqual({ state: 'done' });
  });

  test('a failing list keeps the desired state and tries again', async () => {
    const { clock, target, reconciler } = setup();
    target.listFails = true;
    reconciler.start();
    reconciler.upsert('a', 1);
    await clock.advance(0);
    expect(target.entries.get('a')).toBe(1);
    expect(reconciler.status().lastError).toBe('list: EPERM');
    target.listFails = false;
    target.entries.set('junk', 1);
    await clock.advance(100);
    expect([...target.entries]).toEqual([['a', 1]]);
  });

  test('remove deletes only what was desired', async () => {
    const { clock, target, reconciler } = setup();
    reconciler.start();
    reconciler.upsert('a', 1);
    await clock.advance(0);
    reconciler.remove('zzz');
    reconciler.remove('a');
    const idle = reconciler.whenIdle();
    await clock.advance(0);
    await idle;
    expect(target.entries.size).toBe(0);
    expect(target.writes).toEqual(['update a=1', 'delete a']);
  });

  test('does nothing before start and after stop', async () => {
    const { clock, target, reconciler } = setup();
    reconciler.upsert('a', 1);
    await clock.advance(1_000);
    expect(target.writes).toEqual([]);
    reconciler.start();
    await clock.advance(0);
    expect(target.writes).toEqual(['update a=1']);
    reconciler.stop();
    reconciler.upsert('b', 2);
    await clock.advance(1_000);
    expect(target.writes).toEqual(['update a=1']);
    expect(clock.pendingTimers()).toBe(0);
  });
});

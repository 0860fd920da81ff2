import { describe, expect, test } from '@jest/globals';
import { FakeClock } from '@ciliary/core/testing';
import { RetryQueue, type GiveUpReason } from './retry-queue';

/** Items are names; an item completes once its name is in `known`. */
function setup(options: { maxRetries?: number; maxWaiting?: number } = {}) {
  const clock = new FakeClock();
  const known = new Set<string>();
  const out: string[] = [];
  const queue: RetryQueue<string> = new RetryQueue<string>({
    clock,
    complete: (item) => (known.has(item) ? `${item}+` : undefined),
    onComplete: (item, late) => out.push(`${item}${late ? ' late' : ''}`),
    onGiveUp: (item, reason: GiveUpReason) => out.push(`${item} ${reason}`),
    retryIntervalMs: 2000,
    ...options,
  });
  return { clock, known, out, queue };
}

describe('RetryQueue', () => {
  test('completes at once when it can, else on a later timer try', async () => {
    const { clock, known, out, queue } = setup();
    known.add('a');
    queue.submit('a');
    queue.submit('b');
    expect(out).toEqual(['a+']);
    known.add('b');
    await clock.advance(1999);
    expect(out).toEqual(['a+']);
    await clock.advance(1);
    expect(out).toEqual(['a+', 'b+ late']);
    expect(queue.stats()).toEqual({ parked: 0, resolvedLate: 1, gaveUp: 0 });
    expect(clock.pendingTimers()).toBe(0);
  });

  test('gives up after the last counted try; tries for a change do not count', async () => {
    const { clock, out, queue } = setup({ maxRetries: 2 });
    queue.submit('x');
    for (let i = 0; i < 5; i++) queue.retry(false);
    await clock.advance(2000);
    expect(out).toEqual([]);
    await clock.advance(2000);
    expect(out).toEqual(['x exhausted']);
    expect(queue.stats()).toEqual({ parked: 0, resolvedLate: 0, gaveUp: 1 });
  });

  test('past the bound the oldest tenth gives up; flush hands on the rest', () => {
    const { out, queue } = setup({ maxWaiting: 10 });
    for (let i = 0; i < 11; i++) queue.submit(`e${i}`);
    expect(out).toEqual(['e0 overflow', 'e1 overflow']);
    queue.flush();
    expect(out.slice(2)).toEqual(Array.from({ length: 9 }, (_, i) => `e${i + 2} flush`));
    expect(queue.stats()).toEqual({ parked: 0, resolvedLate: 0, gaveUp: 11 });
  });

  test('an item submitted from a callback during a retry waits for the next round', async () => {
    const clock = new FakeClock();
    const out: string[] = [];
    let ready = false;
    const queue: RetryQueue<string> = new RetryQueue<string>({
      clock,
      complete: (item) => (ready && item !== 'child' ? item : undefined),
      onComplete: (item) => {
        out.push(item);
        if (item === 'parent') queue.submit('child');
      },
      onGiveUp: (item, reason) => out.push(`${item} ${reason}`),
    });
    queue.submit('parent');
    ready = true;
    queue.retry(false);
    expect(out).toEqual(['parent']);
    expect(queue.stats().parked).toBe(1);
    queue.flush();
    expect(out).toEqual(['parent', 'child flush']);
  });
});

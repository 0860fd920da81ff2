import { describe, expect, test } from '@jest/globals';
import { Debounced } from './debounce';
import { FakeClock } from './testing';

describe('Debounced', () => {
  test('a burst of requests runs once, delayMs after the first; a later request runs again', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const later = new Debounced(clock, 50, () => runs++);
    later.request();
    await clock.advance(30);
    later.request();
    later.request();
    await clock.advance(19);
    expect(runs).toBe(0);
    await clock.advance(1);
    expect(runs).toBe(1);
    later.request();
    await clock.advance(50);
    expect(runs).toBe(2);
  });

  test('stop cancels the due run and ignores later requests', async () => {
    const clock = new FakeClock();
    let runs = 0;
    const later = new Debounced(clock, 50, () => runs++);
    later.request();
    later.stop();
    later.request();
    await clock.advance(100);
    expect(runs).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });
});

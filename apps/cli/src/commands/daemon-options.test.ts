import { afterEach, describe, expect, test } from '@jest/globals';
import { untilSignal } from './daemon-options';

describe('untilSignal', () => {
  const before = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  afterEach(() => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      for (const l of process.listeners(signal)) if (!before[signal].includes(l)) process.off(signal, l);
    }
  });

  test('after the first SIGTERM a second one is held, so the orderly shutdown can finish', async () => {
    const signalled = untilSignal();
    process.emit('SIGTERM', 'SIGTERM');
    await expect(signalled).resolves.toBe('SIGTERM');
    // Without a listener a second SIGTERM would take Node's default action and kill the process.
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(before.SIGTERM.length);
    expect(() => process.emit('SIGTERM', 'SIGTERM')).not.toThrow();
  });
});

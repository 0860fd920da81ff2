import { describe, expect, test } from '@jest/globals';
import { parseGoDuration } from './duration';

describe('Go durations', () => {
  test.each([
    ['2s', 2000],
    ['0', 0],
    ['250ms', 250],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['1.s', 1000],
    ['-2s', -2000],
    ['+1m', 60_000],
    ['1500us', 1.5],
    ['3µs', 0.003],
    ['1h1m1s1ms', 3_661_001],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  test.each(['', '2', 's', '.s', '1x', '1s2', '1.2.3s', '-', 'two seconds', '1 s'])(
    '"%s" is refused',
    (text) => {
      expect(parseGoDuration(text)).toBeUndefined();
    },
  );
});

import { expect, test } from '@jest/globals';
import {
  CompactEncoder,
  CompactFormatError,
  EventLineDecoder,
  TetragonCodec,
  compileEventFilter,
  type GetEventsResponse,
} from '../src';
import { ALL_LINES } from './fixtures';

/** A small deterministic PRNG, so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK = [
  'null',
  '0',
  '-1',
  '1e400',
  '"x"',
  '""',
  'true',
  '[]',
  '{}',
  '[null]',
  '{"a":1}',
  '"\\ud800"',
  '4294967296',
  '"2024-13-01T00:00:00Z"',
];

function mutate(line: string, rand: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const at = Math.floor(rand() * line.length);
  switch (Math.floor(rand() * 5)) {
    case 0:
      return line.slice(0, at);
    case 1:
      return line.slice(0, at) + String.fromCharCode(Math.floor(rand() * 128)) + line.slice(at + 1);
    case 2: {
      // Replace a value after some key with junk.
      const colon = line.indexOf(':', at);
      if (colon === -1) return line;
      const end = line.slice(colon + 1).search(/[,}\]]/);
      return `${line.slice(0, colon + 1)}${pick(JUNK)}${line.slice(colon + 1 + Math.max(end, 0))}`;
    }
    case 3:
      return line.slice(0, at) + line.slice(at + Math.floor(rand() * 20));
    default:
      return line.replace(/"([a-z_]+)":/, (_m, k: string) => `"${k.toUpperCase()}":`);
  }
}

test('fuzzed lines never crash the reader, the writer or the compact encoder', () => {
  const codec = new TetragonCodec();
  const compact = new CompactEncoder({ color: true, timestamps: true });
  const filter = compileEventFilter({
    allow_list: [{ binary_regex: ['cat'] }, { namespace: [''] }],
    deny_list: [{ pod_regex: ['x'] }],
  });
  if (!filter.ok) throw new Error();
  const lines = Object.values(ALL_LINES);
  let good = 0;
  let bad = 0;
  for (let seed = 1; seed <= 3000; seed++) {
    const rand = prng(seed);
    let text = lines[seed % lines.length]!;
    const rounds = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < rounds; i++) text = mutate(text, rand);
    const events: GetEventsResponse[] = [];
    const decoder = new EventLineDecoder(codec, {
      document: `seed-${seed}`,
      onEvent: (e) => events.push(e),
      onProblem: () => bad++,
    });
    decoder.push(`${text}\n${lines[0]}\n`);
    decoder.end();
    // The good line after the fuzzed one is never lost.
    expect(events.length).toBeGreaterThanOrEqual(1);
    for (const event of events) {
      good++;
      const written = codec.stringifyEvent(event);
      const again = codec.parseEvent(written);
      expect(again.ok && codec.stringifyEvent(again.value)).toBe(written);
      filter.value.matches(event);
      try {
        compact.encode(event);
      } catch (err) {
        expect(err).toBeInstanceOf(CompactFormatError);
      }
    }
  }
  expect(bad).toBeGreaterThan(100);
  expect(good).toBeGreaterThan(3000);
});

import { describe, expect, test } from '@jest/globals';
import { ALL_LINES } from '../../test/fixtures';
import { TetragonCodec } from '../codec';
import { Normalizers } from './decode';
import { normalizeMessageByWalk, type JsonObject } from './normalize-generic';
import { isCanonicalInt64, isCanonicalTimestamp, canonicalInt64, canonicalTimestamp } from './well-known';

const codec = new TetragonCodec();
const normalizers = new Normalizers();

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

/** Values in every form the reader must tell apart: canonical, other accepted forms, zeros and junk. */
const VALUES: readonly unknown[] = [
  null,
  0,
  -0,
  1,
  -1,
  2147483647,
  2147483648,
  4294967295,
  4294967296,
  1.5,
  '',
  '0',
  '-0',
  '007',
  '12',
  '-12',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '18446744073709551615',
  '18446744073709551616',
  'aGVsbG8K',
  'aGVsbG8',
  'a-_b',
  '2024-04-14T02:18:14.376304204Z',
  '2024-04-14T02:18:14.100Z',
  '2024-04-14T02:18:14.100000Z',
  '2024-04-14T02:18:14Z',
  '2024-04-14t02:18:14+02:00',
  '2024-02-30T00:00:00Z',
  '2024-04-14T24:00:00Z',
  'KPROBE_ACTION_POST',
  'KPROBE_ACTION_UNKNOWN',
  'PROCESS_EXEC',
  'SIGKILL',
  'NaN',
  '15s',
  true,
  false,
  [],
  [null],
  ['x', ''],
  [{}],
  [{ int_arg: 1 }, 3],
  {},
  { a: 'b' },
  { a: 1 },
  { int_arg: 0, string_arg: '' },
];

const EXTRA_KEYS = ['unknown_field', '__proto__', 'constructor', 'toString', 'intArg', 'int_arg', 'fileArg'];

function camel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Walks the object and changes some keys and values, as a damaged or hand-written export would. */
function mutate(value: unknown, rand: () => number, rate: number): unknown {
  if (Array.isArray(value)) return value.map((e) => mutate(e, rand, rate));
  if (typeof value !== 'object' || value === null) return value;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const r = rand();
    const key = r < rate / 3 ? camel(k) : k;
    out[key] = r > 1 - rate ? VALUES[Math.floor(rand() * VALUES.length)] : mutate(v, rand, rate);
  }
  if (rand() < rate)
    out[EXTRA_KEYS[Math.floor(rand() * EXTRA_KEYS.length)]!] = VALUES[Math.floor(rand() * VALUES.length)];
  return out;
}

function both(text: string, discardUnknown: boolean): [string, string] {
  const options = { discardUnknown, document: 'x.log:3' };
  const walked = JSON.parse(text) as JsonObject;
  const walkIssues = normalizeMessageByWalk(walked, codec.events, options);
  const compiled = JSON.parse(text) as JsonObject;
  const compiledIssues = normalizers.normalize(compiled, codec.events, options);
  return [JSON.stringify([walked, walkIssues]), JSON.stringify([compiled, compiledIssues])];
}

describe('generated normalisers', () => {
  test.each(Object.entries(ALL_LINES))('%s: same result as the schema walk', (_name, line) => {
    const [walked, compiled] = both(line, false);
    expect(compiled).toBe(walked);
  });

  test('mutated events: same objects and the same problems, in the same order, as the schema walk', () => {
    const lines = Object.values(ALL_LINES);
    let differentFromInput = 0;
    for (let seed = 1; seed <= 4000; seed++) {
      const rand = prng(seed);
      const line = lines[seed % lines.length]!;
      const text = JSON.stringify(mutate(JSON.parse(line), rand, 0.02 + rand() * 0.2));
      if (text !== line) differentFromInput++;
      for (const discardUnknown of [true, false]) {
        const [walked, compiled] = both(text, discardUnknown);
        if (compiled !== walked)
          throw new Error(`seed ${seed}: ${text}\nwalk:     ${walked}\ncompiled: ${compiled}`);
      }
    }
    expect(differentFromInput).toBeGreaterThan(3500);
  });

  test('other messages (filters) normalise as the walk does', () => {
    const filter =
      '{"binaryRegex":["a"],"namespace":["",""],"pid":[1,"2"],"event_set":["PROCESS_EXEC",0],"health_check":false,"in_init_tree":null,"capabilities":{"effective":{"any":["CAP_SYS_ADMIN"]}}}';
    const table = codec.tables.message('tetragon.Filter');
    const walked = JSON.parse(filter) as JsonObject;
    const compiled = JSON.parse(filter) as JsonObject;
    const walkIssues = normalizeMessageByWalk(walked, table, { discardUnknown: false });
    expect(normalizers.normalize(compiled, table, { discardUnknown: false })).toEqual(walkIssues);
    expect(JSON.stringify(compiled)).toBe(JSON.stringify(walked));
  });
});

describe('canonical-form checks agree with the canonicalisers', () => {
  test('64-bit integers', () => {
    const texts = ['0', '-0', '00', '1', '-1', '+1', '1e3', '', '-', ' 1', '12a', '9007199254740993'];
    for (const kind of ['int64', 'uint64'] as const) {
      for (const max of ['9223372036854775807', '18446744073709551615']) {
        const n = BigInt(max);
        texts.push(String(n), String(n + 1n), String(-n), String(-n - 1n), String(-n - 2n), `0${n}`);
      }
      for (const t of texts)
        expect([kind, t, isCanonicalInt64(t, kind)]).toEqual([kind, t, canonicalInt64(t, kind) === t]);
    }
  });

  test('timestamps', () => {
    const texts = [
      '2024-04-14T02:18:14Z',
      '2024-04-14T02:18:14.1Z',
      '2024-04-14T02:18:14.100Z',
      '2024-04-14T02:18:14.000Z',
      '2024-04-14T02:18:14.123456Z',
      '2024-04-14T02:18:14.123456789Z',
      '2024-04-14T02:18:14.1234567890Z',
      '2024-04-14T02:18:14.123000000Z',
      '2024-04-14t02:18:14Z',
      '2024-04-14T02:18:14z',
      '2024-04-14T02:18:14+00:00',
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2024-00-10T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2024-04-14T23:60:00Z',
      '2024-04-14 02:18:14Z',
      '2024-04-14T02:18:1aZ',
      '２024-04-14T02:18:14Z',
    ];
    for (const t of texts) expect([t, isCanonicalTimestamp(t)]).toEqual([t, canonicalTimestamp(t) === t]);
  });
});

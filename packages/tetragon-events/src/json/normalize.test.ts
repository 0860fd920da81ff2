import { describe, expect, test } from '@jest/globals';
import { ALL_LINES } from '../../test/fixtures';
import { TetragonCodec } from '../codec';
import { Normalizers } from './decode';
import { normalizeMessageByWalk, type JsonObject } from './normalize-generic';
import { formatTimestamp, isCanonicalInt64, isCanonicalTimestamp, parseTimestamp } from './well-known';

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

/** Process credentials, capabilities and namespaces, as Tetragon exports them with --enable-process-cred/-ns. */
const EXEC_WITH_CREDENTIALS = JSON.stringify({
  process_exec: {
    process: {
      exec_id: 'bm9kZToxMjM0OjU2Nzg=',
      pid: 5678,
      uid: 0,
      binary: '/usr/bin/su',
      start_time: '2024-04-14T02:18:14.100Z',
      cap: {
        permitted: ['CAP_CHOWN', 'DAC_OVERRIDE', 'CAP_SYS_ADMIN'],
        effective: ['CAP_CHOWN', 'CAP_SYS_ADMIN'],
      },
      ns: { uts: { inum: 4026531838, is_host: true }, net: { inum: 4026531840 } },
      tid: 5678,
      process_credentials: {
        uid: 0,
        gid: 0,
        securebits: ['SecBitNotSet', 'SecBitKeepCaps'],
        caps: { effective: ['CAP_SETUID'] },
        user_ns: { level: 0, uid: 0, ns: { inum: 4026531837, is_host: true } },
      },
      binary_properties: { setuid: 0, privileges_changed: ['PRIVILEGES_RAISED_EXEC_FILE_SETUID'] },
    },
  },
  node_name: 'node-1',
  time: '2024-04-14T02:18:14.100Z',
});

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
  test.each([...Object.entries(ALL_LINES), ['EXEC_WITH_CREDENTIALS', EXEC_WITH_CREDENTIALS]])(
    '%s: same result as the schema walk',
    (_name, line) => {
      const [walked, compiled] = both(line, false);
      expect(compiled).toBe(walked);
    },
  );

  test('the credentials line is a valid event that reaches the repeated-enum cases', () => {
    const r = codec.parseEvent(EXEC_WITH_CREDENTIALS, { discardUnknown: false });
    expect(r.ok && codec.stringifyEvent(r.value)).toBe(EXEC_WITH_CREDENTIALS);
  });

  test('mutated events: same objects and the same problems, in the same order, as the schema walk', () => {
    const lines = [...Object.values(ALL_LINES), EXEC_WITH_CREDENTIALS];
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

  test('timestamps remembered from earlier events do not let a bad one through', () => {
    const fresh = new Normalizers();
    const times = [
      '2024-04-14T02:18:14.100Z',
      '2024-04-14T02:18:14.100Z',
      '2024-04-14T02:18:14.1000Z',
      '2024-04-14T02:18:14.100Z ',
      '1970-01-01T00:00:00Z',
      '2024-02-30T00:00:00Z',
      '2024-04-14T02:18:14.100Z',
    ];
    const results = times.map((start_time) => {
      const event = { process_exec: { process: { start_time } } };
      const walked = structuredClone(event) as JsonObject;
      const compiled = structuredClone(event) as JsonObject;
      const walkIssues = normalizeMessageByWalk(walked, codec.events, {});
      expect(fresh.normalize(compiled, codec.events)).toEqual(walkIssues);
      expect(compiled).toEqual(walked);
      return walkIssues.length;
    });
    expect(results).toEqual([0, 0, 0, 1, 0, 1, 0]);
  });

  test('without code generation (EvalError), the walk normalises', () => {
    const walking = new Normalizers(() => {
      throw new EvalError('Code generation from strings disallowed for this context');
    });
    const text =
      '{"processExec":{"process":{"pid":"7","binary":"","start_time":"2024-04-14T02:18:14+00:00"}},"x":1}';
    const value = JSON.parse(text) as JsonObject;
    expect(walking.normalize(value, codec.events, { discardUnknown: false })).toEqual([
      { path: '/x', message: 'unknown field "x" of tetragon.GetEventsResponse' },
    ]);
    expect(value).toEqual({ process_exec: { process: { pid: 7, start_time: '2024-04-14T02:18:14Z' } } });
    expect(() =>
      new Normalizers(() => {
        throw new TypeError('bug');
      }).normalize({}, codec.events),
    ).toThrow(TypeError);
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

/** The canonical forms by their definitions: BigInt for integers, parse-and-format for timestamps. */
function canonicalIntegerByBigInt(text: string, kind: 'int64' | 'uint64'): boolean {
  if (!/^-?\d+$/.test(text)) return false;
  const n = BigInt(text);
  const [min, max] = kind === 'int64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  return n >= min && n <= max && n.toString() === text;
}

function canonicalTimestampByParsing(text: string): boolean {
  const parts = parseTimestamp(text);
  return parts !== undefined && formatTimestamp(parts) === text;
}

/** Strings near the canonical form: one character replaced, dropped or added. */
function nearby(seedTexts: readonly string[], alphabet: string, count: number): string[] {
  const rand = prng(7);
  const out = [...seedTexts];
  for (let i = 0; i < count; i++) {
    const t = seedTexts[Math.floor(rand() * seedTexts.length)]!;
    const at = Math.floor(rand() * (t.length + 1));
    const ch = alphabet[Math.floor(rand() * alphabet.length)]!;
    const edit = Math.floor(rand() * 3);
    out.push(
      edit === 0
        ? t.slice(0, at) + ch + t.slice(at + 1)
        : edit === 1
          ? t.slice(0, at) + t.slice(at + 1)
          : t.slice(0, at) + ch + t.slice(at),
    );
  }
  return out;
}

describe('canonical-form checks agree with the definitions', () => {
  test('64-bit integers', () => {
    const seeds = [
      '0',
      '7',
      '5823',
      '4294967295',
      '9223372036854775807',
      '-9223372036854775808',
      '18446744073709551615',
      '18446744072635809952',
    ];
    const texts = nearby(seeds, '0123456789-+e. a', 20000);
    for (const kind of ['int64', 'uint64'] as const) {
      const wrong = texts.filter((t) => isCanonicalInt64(t, kind) !== canonicalIntegerByBigInt(t, kind));
      expect([kind, wrong]).toEqual([kind, []]);
      expect(texts.filter((t) => isCanonicalInt64(t, kind)).length).toBeGreaterThan(2000);
    }
  });

  test('timestamps', () => {
    const seeds = [
      '2024-04-14T02:18:14Z',
      '2024-04-14T02:18:14.100Z',
      '2024-04-14T02:18:14.123456Z',
      '2024-04-14T02:18:14.123456789Z',
      '2024-02-29T00:00:00.000001Z',
      '2023-12-31T23:59:59.999Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '2023-02-28T10:20:30.5Z',
      '1900-02-28T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2024-04-30T12:00:00.120Z',
      '2024-05-31T12:00:00.120000Z',
    ];
    const texts = nearby(seeds, '0123456789-:TtZz.+ 9', 30000);
    expect(texts.filter((t) => isCanonicalTimestamp(t) !== canonicalTimestampByParsing(t))).toEqual([]);
    expect(texts.filter((t) => isCanonicalTimestamp(t)).length).toBeGreaterThan(2000);
  });
});

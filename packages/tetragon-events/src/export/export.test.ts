import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeClock } from '@ciliary/core/testing';
import { TetragonCodec } from '../codec';
import { compileEventFilter } from '../filters/filter';
import { Redactor } from '../filters/redaction';
import type { GetEventsResponse } from '../model/types.generated';
import { EXEC_HOST, EXEC_POD, EXIT_SIGNAL, KPROBE_READ } from '../../test/fixtures';
import { exportFiltersFromFlags } from './export-flags';
import { JsonExporter, type ExporterOptions } from './exporter';
import { followFile } from './follow';
import { EventLineDecoder, type LineProblem } from './line-decoder';
import { RateLimiter } from './rate-limit';
import { ExportFileError, RotatingFile, type RotatingFileIo } from './rotating-file';

const codec = new TetragonCodec();

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

/**
 * Node's fs, but while `full` is set the disk is nearly full: a write takes at most `room`
 * bytes and the next one fails with ENOSPC, as write(2) does. `truncateFails` breaks ftruncate.
 */
class NearlyFullDisk implements RotatingFileIo {
  full = false;
  room = 20;
  truncateFails = false;

  writeSync(fd: number, buffer: Uint8Array, offset: number, length: number): number {
    if (!this.full) return fs.writeSync(fd, buffer, offset, length);
    if (this.room === 0) throw enospc();
    const n = fs.writeSync(fd, buffer, offset, Math.min(length, this.room));
    this.room -= n;
    return n;
  }

  ftruncateSync(fd: number, length: number): void {
    if (this.truncateFails) throw Object.assign(new Error('EIO: i/o error, ftruncate'), { code: 'EIO' });
    fs.ftruncateSync(fd, length);
  }
}

/** An exporter writing its lines into `lines`, on a fake clock, for node `n` unless told otherwise. */
function exporterInto(lines: string[], options: Partial<ExporterOptions> = {}): JsonExporter {
  return new JsonExporter({
    codec,
    write: (l) => lines.push(l),
    clock: new FakeClock(),
    nodeName: 'n',
    ...options,
  });
}

function decodeAll(chunks: Array<string | Buffer>): {
  events: Array<[number, GetEventsResponse]>;
  problems: LineProblem[];
} {
  const events: Array<[number, GetEventsResponse]> = [];
  const problems: LineProblem[] = [];
  const decoder = new EventLineDecoder(codec, {
    document: 'export.log',
    onEvent: (e, line) => events.push([line, e]),
    onProblem: (p) => problems.push(p),
  });
  for (const c of chunks) decoder.push(c);
  decoder.end();
  return { events, problems };
}

describe('line decoder', () => {
  test('a bad line is reported with its number and skipped; nothing after it is lost', () => {
    const text = [
      EXEC_POD,
      '{"process_exec":',
      '',
      'not json',
      EXEC_HOST,
      '{"process_exec":{"process":{"pid":"x"}}}',
      EXIT_SIGNAL,
    ].join('\n');
    const { events, problems } = decodeAll([text]);
    expect(events.map(([line]) => line)).toEqual([1, 5, 7]);
    expect(problems.map((p) => p.line)).toEqual([2, 4, 6]);
    expect(problems[2]?.issues[0]).toEqual({
      document: 'export.log:6',
      path: '/process_exec/process/pid',
      message: 'expected an unsigned 32-bit integer',
    });
  });

  test('lines split across chunks, multi-byte characters split across buffers, CRLF and no final newline', () => {
    const line = '{"process_exec":{"process":{"binary":"/bin/é☃"}},"node_name":"n"}';
    const bytes = Buffer.from(`${line}\r\n${line}`);
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const { events, problems } = decodeAll(chunks);
    expect(problems).toEqual([]);
    expect(events.map(([, e]) => e.process_exec?.process?.binary)).toEqual(['/bin/é☃', '/bin/é☃']);
  });

  test('every cut of a byte stream into two chunks, in a reused buffer, reads the same lines', () => {
    const line = '{"process_exec":{"process":{"binary":"/bin/é☃"}},"node_name":"n"}';
    const bytes = Buffer.from(`${line}\n\nnot json\n${line}`);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const reused = Buffer.alloc(bytes.length);
      const seen: string[] = [];
      const decoder = new EventLineDecoder(codec, {
        document: 'x',
        onEvent: (e, n) => seen.push(`${n}:${e.process_exec?.process?.binary}`),
        onProblem: (p) => seen.push(`${p.line}:bad`),
      });
      bytes.copy(reused, 0, 0, cut);
      decoder.push(reused.subarray(0, cut));
      reused.fill(0x78); // the caller reuses its buffer: what the decoder kept must be its own
      bytes.copy(reused, 0, cut);
      decoder.push(reused.subarray(0, bytes.length - cut));
      decoder.end();
      expect([cut, seen]).toEqual([cut, ['1:/bin/é☃', '3:bad', '4:/bin/é☃']]);
    }
  });

  test('ASCII chunks around split and broken characters decode as one UTF-8 decoder would', () => {
    const line = (binary: string): string => `{"process_exec":{"process":{"binary":"${binary}"}}}\n`;
    const e = Buffer.from('é');
    const chunks = [
      Buffer.from(line('/bin/a')),
      Buffer.concat([Buffer.from(line('/bin/b').slice(0, 38)), e.subarray(0, 1)]),
      Buffer.concat([e.subarray(1), Buffer.from(line('/bin/b').slice(38))]),
      // A lead byte followed by ASCII is a broken character: U+FFFD, as StringDecoder gives.
      Buffer.concat([Buffer.from(line('/bin/c').slice(0, 38)), e.subarray(0, 1)]),
      Buffer.from(line('/bin/c').slice(38)),
      Buffer.from(line('/bin/d')),
    ];
    const { events, problems } = decodeAll(chunks);
    expect(problems).toEqual([]);
    expect(events.map(([, ev]) => ev.process_exec?.process?.binary)).toEqual([
      '/bin/a',
      'é/bin/b',
      '\ufffd/bin/c',
      '/bin/d',
    ]);
  });

  test('any cut of a long stream into chunks of random sizes reads what one chunk reads', () => {
    const utf8 = '{"process_exec":{"process":{"binary":"/bin/é☃😀","arguments":"ü"}},"node_name":"n"}';
    const lines = [EXEC_POD, utf8, '', 'not json', EXEC_HOST, `${KPROBE_READ}\r`, utf8, EXIT_SIGNAL];
    const bytes = Buffer.from(Array.from({ length: 40 }, (_, i) => lines[i % lines.length]).join('\n'));
    const summary = (r: ReturnType<typeof decodeAll>): string[] => [
      ...r.events.map(([n, e]) => `${n}:${JSON.stringify(e)}`),
      ...r.problems.map((p) => `${p.line}:bad`),
    ];
    const whole = summary(decodeAll([bytes]));
    expect(whole.length).toBe(35); // blank lines are not events
    // A fixed seed keeps failures reproducible.
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length;) {
        const size = 1 + random(round % 2 === 0 ? 8 : 3000);
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(summary(decodeAll(chunks))).toEqual(whole);
    }
  });

  test('a line longer than the limit is reported and skipped without being held, in one chunk or many', () => {
    const run = (chunks: string[]): { lines: number[]; problems: string[] } => {
      const lines: number[] = [];
      const problems: string[] = [];
      const decoder = new EventLineDecoder(codec, {
        document: 'big.log',
        maxLineLength: 100,
        onEvent: (_e, line) => lines.push(line),
        onProblem: (p) => problems.push(`${p.issues[0]?.document} ${p.issues[0]?.message}`),
      });
      for (const c of chunks) decoder.push(c);
      decoder.end();
      return { lines, problems };
    };
    const ok = '{"node_name":"n"}';
    const long = `{"node_name":"${'x'.repeat(200)}"}`;
    const expected = {
      lines: [1, 3],
      problems: ['big.log:2 line of 216 characters is longer than the limit of 100; skipped'],
    };
    const text = `${ok}\n${long}\n${ok}\n`;
    expect(run([text])).toEqual(expected);
    // Cut into pieces of 7 characters: the long line is dropped as it comes, then reported at its end.
    expect(run(text.match(/[^]{1,7}/g)!)).toEqual(expected);
    // A last line without a newline.
    expect(run([`${ok}\n`, long.slice(0, 150), long.slice(150)])).toEqual({
      lines: [1],
      problems: ['big.log:2 line of 216 characters is longer than the limit of 100; skipped'],
    });
    // Exactly at the limit is read.
    const atLimit = `{"node_name":"${'y'.repeat(100 - 16)}"}`;
    expect(atLimit).toHaveLength(100);
    expect(run([`${atLimit}\n`])).toEqual({ lines: [1], problems: [] });
  });

  test('text and byte chunks mixed keep their order', () => {
    const line = '{"process_exec":{"process":{"binary":"/bin/é☃"}},"node_name":"n"}';
    const head = Buffer.from(line.slice(0, 40));
    const { events, problems } = decodeAll([
      head,
      `${line.slice(40)}\n${line.slice(0, 20)}`,
      Buffer.from(line.slice(20)),
    ]);
    expect(problems).toEqual([]);
    expect(events.map(([n, e]) => [n, e.process_exec?.process?.binary])).toEqual([
      [1, '/bin/é☃'],
      [2, '/bin/é☃'],
    ]);
  });
});

describe('rotating export file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tetragon-export-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('rotates by size to timestamped backups and keeps only max-backups', async () => {
    const clock = new FakeClock(Date.UTC(2024, 3, 14, 2, 18, 14, 100));
    const filename = path.join(dir, 'tetragon.log');
    const file = new RotatingFile({ filename, clock, maxSizeBytes: 100, maxBackups: 2 });
    const line = `${'x'.repeat(39)}\n`; // 40 bytes: two lines fit, the third rotates
    for (let i = 0; i < 7; i++) {
      file.write(line);
      await clock.advance(1000);
    }
    file.close();
    expect(fs.readFileSync(filename, 'utf8')).toBe(line);
    const backups = file.backups().map((b) => path.basename(b));
    expect(backups).toEqual(['tetragon-2024-04-14T02-18-20.100.log', 'tetragon-2024-04-14T02-18-18.100.log']);
    expect(fs.readdirSync(dir)).toHaveLength(3);
  });

  test('appends to an existing file and refuses writes larger than the limit', () => {
    const clock = new FakeClock(0);
    const filename = path.join(dir, 'sub', 'events.json');
    const first = new RotatingFile({ filename, clock, maxSizeBytes: 1000 });
    first.write('a\n');
    first.close();
    const second = new RotatingFile({ filename, clock, maxSizeBytes: 1000 });
    second.write('b\n');
    second.close();
    expect(fs.readFileSync(filename, 'utf8')).toBe('a\nb\n');
    expect(() => second.write('x'.repeat(1001))).toThrow('exceeds the maximum file size');
  });

  test('compressed backups', () => {
    const clock = new FakeClock(0);
    const filename = path.join(dir, 'tetragon.log');
    const file = new RotatingFile({ filename, clock, maxSizeBytes: 10, compress: true });
    file.write('123456789\n');
    file.write('abc\n');
    file.close();
    expect(fs.readdirSync(dir).sort()).toEqual(['tetragon-1970-01-01T00-00-00.000.log.gz', 'tetragon.log']);
    // Owner-only, as the log it comes from.
    expect(fs.statSync(path.join(dir, 'tetragon-1970-01-01T00-00-00.000.log.gz')).mode & 0o777).toBe(0o600);
  });

  test('backups left by an earlier run are compressed and pruned at the first write', () => {
    const filename = path.join(dir, 'old.log');
    for (const stamp of ['2024-01-01T00-00-00.000', '2024-01-02T00-00-00.000', '2024-01-03T00-00-00.000'])
      fs.writeFileSync(path.join(dir, `old-${stamp}.log`), `${stamp}\n`);
    const file = new RotatingFile({ filename, clock: new FakeClock(0), maxBackups: 2, compress: true });
    file.write('new\n');
    file.close();
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.startsWith('old'))
        .sort(),
    ).toEqual(['old-2024-01-02T00-00-00.000.log.gz', 'old-2024-01-03T00-00-00.000.log.gz', 'old.log']);
  });

  test('a write the full disk takes only part of is cut back off: whole lines only, rotation at the right size', () => {
    const filename = path.join(dir, 'tetragon.log');
    const disk = new NearlyFullDisk();
    const file = new RotatingFile({ filename, clock: new FakeClock(0), maxSizeBytes: 100, io: disk });
    const line = (c: string): string => `${c.repeat(39)}\n`; // 40 bytes: two lines fit
    file.write(line('a'));
    disk.full = true;
    let failure: unknown;
    try {
      file.write(line('b'));
    } catch (err) {
      failure = err;
    }
    expect(failure).toBeInstanceOf(ExportFileError);
    expect(failure).toMatchObject({ filename, cause: { code: 'ENOSPC' } });
    expect(fs.readFileSync(filename, 'utf8')).toBe(line('a'));
    disk.full = false;
    file.write(line('c'));
    file.write(line('d')); // 80 + 40 bytes: rotates
    file.close();
    expect(fs.readFileSync(filename, 'utf8')).toBe(line('d'));
    expect(file.backups().map((b) => fs.readFileSync(b, 'utf8'))).toEqual([line('a') + line('c')]);
  });

  test('a part-written line that cannot be cut back is ended by the next write, not glued to it', () => {
    const filename = path.join(dir, 'tetragon.log');
    const disk = new NearlyFullDisk();
    const file = new RotatingFile({ filename, clock: new FakeClock(0), maxSizeBytes: 1000, io: disk });
    file.write('{"i":1}\n');
    Object.assign(disk, { full: true, room: 4, truncateFails: true });
    expect(() => file.write('{"i":2}\n')).toThrow(ExportFileError);
    disk.full = false;
    file.write('{"i":3}\n');
    file.close();
    expect(fs.readFileSync(filename, 'utf8')).toBe('{"i":1}\n{"i"\n{"i":3}\n');
  });

  test('a maximum size of 0 means lumberjack’s default of 100 MB', () => {
    const file = new RotatingFile({
      filename: path.join(dir, 'zero.log'),
      clock: new FakeClock(0),
      maxSizeBytes: 0,
    });
    file.write('x'.repeat(1000) + '\n');
    file.close();
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('zero'))).toEqual(['zero.log']);
  });
});

describe('export flags', () => {
  test("Tetragon's --export-denylist and --field-filters texts configure the exporter", () => {
    const flags = exportFiltersFromFlags(codec, {
      denyList: '{"namespace":[""]}',
      fieldFilters:
        '{"event_set":["PROCESS_EXEC"],"fields":"process.binary,process.pod.name","action":"INCLUDE"}',
    });
    if (!flags.ok) throw new Error(JSON.stringify(flags.issues));
    const lines: string[] = [];
    const exporter = exporterInto(lines, {
      filter: flags.value.filter,
      ...(flags.value.fieldFilters ? { fieldFilters: flags.value.fieldFilters } : {}),
    });
    for (const line of [EXEC_POD, EXEC_HOST]) {
      const r = codec.parseEvent(line);
      if (r.ok) exporter.export(r.value);
    }
    expect(lines).toHaveLength(1);
    const written = JSON.parse(lines[0]!) as GetEventsResponse;
    expect(Object.keys(written.process_exec!.process!).sort()).toEqual(['binary', 'pod']);
  });

  test('every problem of every flag is named, pid_set included', () => {
    const flags = exportFiltersFromFlags(codec, {
      allowList: '{"binary_regex":["(a"]}\n{"pid_set":[1]}',
      denyList: 'nope',
      fieldFilters: '{"fields":"process.nope","action":"INCLUDE"}',
    });
    expect(flags.ok).toBe(false);
    if (flags.ok) return;
    const where = flags.issues.map((i) => `${i.document} ${i.path}`);
    expect(where).toEqual(
      expect.arrayContaining([
        '--export-allowlist /1/pid_set',
        expect.stringMatching(/^--export-denylist/),
        expect.stringMatching(/^--field-filters/),
      ]),
    );
    const enabled = exportFiltersFromFlags(codec, { allowList: '{"pid_set":[1]}', enablePidSetFilter: true });
    expect(enabled.ok).toBe(true);
  });
});

describe('JSON exporter', () => {
  test('writes what passes the lists, as Tetragon’s protojson lines', () => {
    const lines: string[] = [];
    const filter = compileEventFilter({ deny_list: [{ namespace: [''] }] });
    if (!filter.ok) throw new Error();
    const exporter = exporterInto(lines, {
      filter: filter.value,
    });
    for (const line of [EXEC_POD, EXEC_HOST, KPROBE_READ]) {
      const r = codec.parseEvent(line);
      if (r.ok) exporter.export(r.value);
    }
    expect(lines).toEqual([`${EXEC_POD}\n`, `${KPROBE_READ}\n`]);
    expect(exporter.stats()).toEqual({ exported: 2, filtered: 1, rateLimited: 0, reportFailures: 0 });
  });

  test('redaction comes before the lists, so they only see redacted text', () => {
    const lines: string[] = [];
    const deny = compileEventFilter({ deny_list: [{ arguments_regex: ['hunter2'] }] });
    const redactor = Redactor.compile([{ redact: ['--password=(\\S+)'] }]);
    if (!deny.ok || !redactor.ok) throw new Error();
    const exporter = exporterInto(lines, {
      filter: deny.value,
      redactor: redactor.value,
    });
    exporter.export({
      process_exec: { process: { binary: '/usr/bin/mysql', arguments: '--password=hunter2' } },
    });
    expect(lines).toEqual([
      '{"process_exec":{"process":{"binary":"/usr/bin/mysql","arguments":"--password=*****"}}}\n',
    ]);
  });

  test('the rate limit drops events and reports them once a minute as RATE_LIMIT_INFO', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const lines: string[] = [];
    const exporter = exporterInto(lines, { clock, nodeName: 'node-a', rateLimitPerMinute: 3 });
    const event: GetEventsResponse = { process_exec: { process: { pid: 1 } } };
    for (let i = 0; i < 5; i++) exporter.export(event);
    expect(lines).toHaveLength(3);
    await clock.advance(60_000);
    expect(lines[3]).toBe(
      '{"rate_limit_info":{"number_of_dropped_process_events":"2"},"node_name":"node-a","time":"2024-01-01T00:01:00Z"}\n',
    );
    // The bucket has refilled.
    for (let i = 0; i < 3; i++) exporter.export(event);
    expect(exporter.stats()).toEqual({ exported: 6, filtered: 0, rateLimited: 2, reportFailures: 0 });
    exporter.close();
  });

  test('a report that cannot be written throws neither from the timer nor from close(); its drops are reported later', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1));
    const lines: string[] = [];
    const errors: unknown[] = [];
    let full = false;
    const exporter = exporterInto([], {
      clock,
      rateLimitPerMinute: 1,
      write: (l) => {
        if (full) throw new ExportFileError('/var/log/tetragon.log', 'write failed', { cause: enospc() });
        lines.push(l);
      },
      onError: (err) => errors.push(err),
    });
    const event: GetEventsResponse = { process_exec: { process: { pid: 1 } } };
    for (let i = 0; i < 3; i++) exporter.export(event);
    full = true;
    await clock.advance(60_000);
    expect(errors).toEqual([expect.any(ExportFileError)]);
    full = false;
    exporter.export(event); // refilled: written
    exporter.export(event); // dropped: 3 pending now
    await clock.advance(60_000);
    expect(lines.map((l) => (JSON.parse(l) as GetEventsResponse).rate_limit_info)).toEqual([
      undefined,
      undefined,
      { number_of_dropped_process_events: '3' },
    ]);
    exporter.export(event);
    exporter.export(event);
    full = true;
    expect(() => exporter.close()).not.toThrow();
    expect(errors).toHaveLength(2);
    expect(clock.pendingTimers()).toBe(0);
    expect(exporter.stats()).toMatchObject({ rateLimited: 4, reportFailures: 2 });
  });

  test('without onError a failed report is only counted', async () => {
    const clock = new FakeClock();
    const exporter = exporterInto([], {
      clock,
      rateLimitPerMinute: 0,
      write: () => {
        throw enospc();
      },
    });
    exporter.export({ test: {} });
    await clock.advance(60_000);
    expect(() => exporter.close()).not.toThrow();
    expect(exporter.stats()).toMatchObject({ rateLimited: 1, reportFailures: 2 });
  });

  test('a zero rate limit disables export', () => {
    const lines: string[] = [];
    const exporter = exporterInto(lines, {
      rateLimitPerMinute: 0,
    });
    exporter.export({ test: {} });
    exporter.close();
    expect(lines).toEqual([
      '{"rate_limit_info":{"number_of_dropped_process_events":"1"},"node_name":"n","time":"1970-01-01T00:00:00Z"}\n',
    ]);
  });
});

describe('rate limiter', () => {
  test('a wall clock stepped back an hour neither drains the bucket nor overfills it', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 1, 12));
    const limiter = new RateLimiter(60, clock); // one token a second
    const allowed = (n: number): number =>
      Array.from({ length: n }, () => limiter.allow()).filter(Boolean).length;
    expect(allowed(61)).toBe(60);
    await clock.advance(-3_600_000);
    expect(allowed(1)).toBe(0);
    await clock.advance(1_000);
    expect(allowed(2)).toBe(1);
    await clock.advance(86_400_000);
    expect(allowed(61)).toBe(60);
    expect(limiter.dropped).toBe(4);
  });
});

describe('following a file', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tetragon-follow-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads appended data, then the rest of a rotated file before the new one', () => {
    const filename = path.join(dir, 'tetragon.log');
    const clock = new FakeClock();
    const file = new RotatingFile({ filename, clock, maxSizeBytes: 12, maxBackups: 3 });
    let seen = '';
    const handle = followFile(filename, { clock, onData: (b) => (seen += b.toString()) });
    expect(seen).toBe('');
    file.write('one\n');
    handle.poll();
    expect(seen).toBe('one\n');
    file.write('two\n');
    file.write('three\n'); // rotates: "one\ntwo\n" becomes a backup
    handle.poll();
    expect(seen).toBe('one\ntwo\nthree\n');
    fs.truncateSync(filename, 0);
    fs.appendFileSync(filename, 'four\n');
    handle.poll();
    expect(seen).toBe('one\ntwo\nthree\nfour\n');
    handle.stop();
    file.close();
  });

  test('polls on the injected clock and can start at the end', async () => {
    const filename = path.join(dir, 'events.log');
    fs.writeFileSync(filename, 'old\n');
    const clock = new FakeClock();
    let seen = '';
    const handle = followFile(filename, {
      clock,
      fromEnd: true,
      pollIntervalMs: 100,
      onData: (b) => (seen += b.toString()),
    });
    fs.appendFileSync(filename, 'new\n');
    expect(seen).toBe('');
    await clock.advance(100);
    expect(seen).toBe('new\n');
    handle.stop();
  });
});

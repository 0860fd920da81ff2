import * as fs from 'node:fs';
import { Command } from 'commander';
import { formatIssue, systemClock } from '@ciliary/core';
import {
  EventLineDecoder,
  EventPrinter,
  TetragonCodec,
  followFile,
  type GetEventsRequest,
  type GetEventsResponse,
} from '@ciliary/tetragon-events';
import { SensorClient } from '@ciliary/tetragon-events/server';
import { parseGoDuration } from '../duration';
import type { CliIo } from '../io';
import {
  compactColor,
  eventPrinter,
  eventsRequest,
  withEventOutputOptions,
  type EventOutputFlags,
} from './event-filter-flags';

/** Where tetra finds the agent when no --server is given. */
const TETRAGON_INFO = '/var/run/tetragon/tetragon-info.json';
const DEFAULT_SERVER = 'localhost:54321';

interface EventsFlags extends EventOutputFlags {
  input?: string;
  follow?: boolean;
  server?: string;
  reconnect?: boolean;
  reconnectWait: string;
  stackTraces: boolean;
  imaHash: boolean;
}

export function eventsCommand(io: CliIo): Command {
  const command = new Command('events')
    .description(
      "print Tetragon events from an export file, stdin or a FineGuidanceSensors server, as 'tetra getevents'",
    )
    .option('-i, --input <file>', "read Tetragon's JSON export from FILE ('-' for stdin)")
    .option('--follow', 'keep reading the input file as it grows and rotates')
    .option(
      '--server <address>',
      `gRPC server (default: ${TETRAGON_INFO}'s server_address, else ${DEFAULT_SERVER})`,
    )
    .option('--reconnect', 'with a server: connect again when the connection fails or the stream ends')
    .option(
      '--reconnect-wait <duration>',
      'with --reconnect: how long to wait before connecting again',
      '2s',
    );
  return withEventOutputOptions(command)
    .option('--no-stack-traces', 'do not print kernel and user stack traces in compact output')
    .option('--no-ima-hash', 'do not print IMA hashes in compact output')
    .action(async (flags: EventsFlags) => run(io, flags));
}

async function run(io: CliIo, flags: EventsFlags): Promise<void> {
  const codec = new TetragonCodec();
  const request = eventsRequest(codec, flags);
  const compact = {
    color: compactColor(flags),
    timestamps: flags.timestamps === true,
    stackTraces: flags.stackTraces,
    imaHash: flags.imaHash,
  };

  const input = flags.input ?? (flags.server === undefined && !process.stdin.isTTY ? '-' : undefined);
  if (input === undefined) return fromServer(io, codec, request, flags, compact);

  const printer = eventPrinter(codec, request, flags.output, compact);
  await fromInput(io, codec, input, flags.follow === true, printer);
}

/** Reads export lines; a bad line is reported on stderr with its number and reading goes on. */
async function fromInput(
  io: CliIo,
  codec: TetragonCodec,
  input: string,
  follow: boolean,
  printer: EventPrinter,
): Promise<void> {
  let out = '';
  const decoder = new EventLineDecoder(codec, {
    document: input === '-' ? 'stdin' : input,
    onEvent: (event) => (out += printer.print(event)),
    onProblem: (problem) =>
      io.stderr(`ciliary: skipped line: ${problem.issues.map(formatIssue).join('; ')}\n`),
  });
  const flush = (): void => {
    if (out.length > 0) io.stdout(out);
    out = '';
  };
  /** Writes what was printed and waits for a slow reader (or lets a closed pipe end the command). */
  const flushAndWait = async (): Promise<void> => {
    flush();
    await io.stdoutDrained?.();
  };
  if (follow && input !== '-') {
    await new Promise<void>((resolve) => {
      // The clock's timers do not hold the process open; following does until a signal.
      const keepAlive = setInterval(() => undefined, 1 << 30);
      const handle = followFile(input, {
        clock: systemClock(),
        onData: (chunk) => {
          decoder.push(chunk);
          flush();
        },
        onError: (err) =>
          io.stderr(`ciliary: ${input}: ${err instanceof Error ? err.message : String(err)}\n`),
      });
      const stop = (): void => {
        clearInterval(keepAlive);
        handle.stop();
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return;
  }
  if (input === '-') {
    for await (const chunk of process.stdin) {
      decoder.push(chunk as Buffer);
      await flushAndWait();
    }
  } else {
    await readFileInChunks(input, async (chunk) => {
      decoder.push(chunk);
      await flushAndWait();
    }).catch((err: NodeJS.ErrnoException) => {
      // Node's messages do not always name the file (EISDIR), and its code says more than its text.
      throw new Error(
        `${input}: ${err.code ? `${err.code}: ` : ''}${err.message.replace(/^E[A-Z]+: /, '').replace(/, \w+( '.*')?$/, '')}`,
        {
          cause: err,
        },
      );
    });
  }
  decoder.end();
  flush();
}

const READ_CHUNK_BYTES = 1 << 20;

// A file that is not followed is read synchronously in large chunks: a stream's
// 64 KiB reads, each a trip through the event loop, cost about a tenth of the
// time of reading, filtering and printing an export file. Each chunk's output is
// awaited, once per MiB.
async function readFileInChunks(file: string, onChunk: (chunk: Buffer) => Promise<void>): Promise<void> {
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
      const n = fs.readSync(fd, buffer, 0, READ_CHUNK_BYTES, null);
      if (n === 0) return;
      await onChunk(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function defaultServer(): string {
  try {
    const info = JSON.parse(fs.readFileSync(TETRAGON_INFO, 'utf8')) as { server_address?: unknown };
    if (typeof info.server_address === 'string' && info.server_address !== '') return info.server_address;
  } catch {
    // No agent info: tetra falls back to its default address too.
  }
  return DEFAULT_SERVER;
}

/**
 * Streams from a FineGuidanceSensors server; filters and field filters are applied there. With
 * --reconnect, a failed connection or an ended stream is reported on stderr and tried again after
 * --reconnect-wait, as tetra does, until SIGINT.
 */
async function fromServer(
  io: CliIo,
  codec: TetragonCodec,
  request: GetEventsRequest,
  flags: EventsFlags,
  compact: { color: boolean; timestamps: boolean; stackTraces: boolean; imaHash: boolean },
): Promise<void> {
  const waitMs = parseGoDuration(flags.reconnectWait);
  if (waitMs === undefined || waitMs < 0)
    throw new Error(`--reconnect-wait: "${flags.reconnectWait}" is not a duration (e.g. 2s, 500ms, 1m30s)`);
  const address = flags.server ?? defaultServer();
  const printer = new EventPrinter({ codec, format: flags.output, compact });
  const session = { stopped: false, cancel: (): void => undefined, wake: (): void => undefined };
  const stop = (): void => {
    session.stopped = true;
    session.cancel();
    session.wake();
  };
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const failure = await streamOnce(io, codec, address, request, printer, session);
      if (session.stopped) return;
      if (!flags.reconnect) {
        if (failure !== undefined) throw new Error(failure);
        return;
      }
      io.stderr(
        `ciliary: ${failure ?? `${address}: the server ended the stream`}; connecting again in ${flags.reconnectWait}\n`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        session.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (session.stopped) return;
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

/** One connection: prints until the stream ends; answers why it ended when it failed. */
async function streamOnce(
  io: CliIo,
  codec: TetragonCodec,
  address: string,
  request: GetEventsRequest,
  printer: EventPrinter,
  session: { cancel: () => void },
): Promise<string | undefined> {
  const client = new SensorClient(codec, address);
  try {
    const stream = client.getEvents(request);
    session.cancel = () => stream.cancel();
    for await (const event of stream) io.stdout(printer.print(event as GetEventsResponse));
    return undefined;
  } catch (err) {
    const code = (err as { code?: number }).code;
    return code === 1 /* CANCELLED */ ? undefined : `${client.address}: ${(err as Error).message}`;
  } finally {
    session.cancel = () => undefined;
    client.close();
  }
}

import * as fs from 'node:fs';
import type { Clock, TimerHandle } from '@ciliary/core';

export interface FollowOptions {
  readonly clock: Clock;
  readonly onData: (chunk: Buffer) => void;
  readonly onError?: (err: unknown) => void;
  /** How often to look for new data (ms). */
  readonly pollIntervalMs?: number;
  /** Start at the end of the file (like `tail -F`) instead of its beginning. */
  readonly fromEnd?: boolean;
}

export interface FollowHandle {
  /** Reads whatever is new now (tests call it instead of waiting for the poll). */
  poll(): void;
  stop(): void;
}

const CHUNK = 256 * 1024;

/**
 * Follows a file that is appended to and rotated (`tail -F`): when the name points to a new
 * file, the rest of the old one is read first, then the new one from its start; a truncated file
 * is read again from its start. A missing file is waited for.
 */
export function followFile(filename: string, options: FollowOptions): FollowHandle {
  let fd: number | undefined;
  let ino: number | undefined;
  let offset = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;
  let first = true;
  const buffer = Buffer.allocUnsafe(CHUNK);

  const drain = (): void => {
    if (fd === undefined) return;
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, offset);
      if (n <= 0) return;
      offset += n;
      options.onData(Buffer.from(buffer.subarray(0, n)));
    }
  };

  const open = (stat: fs.Stats): void => {
    fd = fs.openSync(filename, 'r');
    ino = stat.ino;
    offset = first && options.fromEnd ? stat.size : 0;
    first = false;
  };

  const poll = (): void => {
    if (stopped) return;
    try {
      let stat: fs.Stats | undefined;
      try {
        stat = fs.statSync(filename);
      } catch {
        stat = undefined;
      }
      if (fd !== undefined && (!stat || stat.ino !== ino)) {
        drain(); // the rest of the rotated file
        fs.closeSync(fd);
        fd = undefined;
      }
      if (fd === undefined && stat) open(stat);
      if (fd !== undefined && stat && stat.size < offset) offset = 0; // truncated
      drain();
    } catch (err) {
      options.onError?.(err);
    }
  };

  const schedule = (): void => {
    timer = options.clock.setTimeout(() => {
      poll();
      if (!stopped) schedule();
    }, options.pollIntervalMs ?? 250);
  };

  poll();
  schedule();
  return {
    poll,
    stop() {
      stopped = true;
      timer?.cancel();
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

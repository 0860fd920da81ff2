import { once } from 'node:events';

/** Where commands write; injected so tests capture output without touching process streams. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /**
   * Resolves once standard output has taken what was written (at once when nothing waits, but
   * always after a turn of the event loop, so a write error can surface). Commands that print
   * much in a loop await it between batches, so a slow reader holds them back.
   */
  stdoutDrained?(): Promise<void>;
}

export function processIo(): CliIo {
  // A reader that goes away early (`| head`, quitting `less`) closes the pipe. Stop quietly, as
  // command-line tools do on SIGPIPE, instead of failing with an unhandled EPIPE error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdoutDrained: async () => {
      if (process.stdout.writableNeedDrain) await once(process.stdout, 'drain');
      else await new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}

import pino from 'pino';
import type { Logger } from '@ciliary/core';

export type LogFormat = 'json' | 'text';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The app's logger: pino JSON lines by default, or one readable line per
 * record (`LEVEL msg key=value ...`) for interactive use.
 */
export function createLogger(options: {
  level: LogLevel;
  format: LogFormat;
  destination?: NodeJS.WritableStream;
}): Logger {
  const destination = options.destination ?? process.stdout;
  const stream = options.format === 'json' ? destination : textStream(destination);
  return pino(
    { level: options.level, base: null, timestamp: pino.stdTimeFunctions.isoTime },
    stream,
  ) as Logger;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

function textStream(destination: NodeJS.WritableStream): { write(line: string): void } {
  return {
    write(line: string) {
      const record = JSON.parse(line) as Record<string, unknown>;
      const { level, time, msg, ...fields } = record;
      const pairs = Object.entries(fields).map(
        ([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`,
      );
      const name = LEVEL_NAMES[Number(level)] ?? String(level);
      destination.write(
        `${String(time)} ${name.padEnd(5)} ${String(msg ?? '')}${pairs.length ? ' ' + pairs.join(' ') : ''}\n`,
      );
    },
  };
}

import * as fs from 'node:fs';
import * as net from 'node:net';

/** The file of a grpc-js `unix:path` or `unix:///absolute/path` address; undefined for others. */
export function unixSocketPath(address: string): string | undefined {
  if (!address.startsWith('unix:')) return undefined;
  const rest = address.slice('unix:'.length);
  return rest.startsWith('//') ? rest.slice(2) : rest;
}

export type SocketFileState = 'absent' | 'stale' | 'listening' | 'not-a-socket' | 'unknown';

/**
 * What is at a unix socket path: a socket left by a process that died without removing it
 * refuses connections ('stale'); one that accepts them belongs to a live server.
 */
export async function socketFileState(file: string): Promise<SocketFileState> {
  let stats: fs.Stats;
  try {
    stats = fs.lstatSync(file);
  } catch {
    return 'absent';
  }
  if (!stats.isSocket()) return 'not-a-socket';
  return new Promise((resolve) => {
    const probe = net.connect(file);
    probe.once('connect', () => {
      probe.destroy();
      resolve('listening');
    });
    probe.once('error', (err: NodeJS.ErrnoException) => {
      probe.destroy();
      // Anything but a refusal (EACCES, EAGAIN with a full backlog) may be a live server: keep it.
      resolve(err.code === 'ECONNREFUSED' ? 'stale' : 'unknown');
    });
  });
}

/** Removes a stale socket file; it may be gone already if another process cleaned it up. */
export function removeStaleSocket(file: string): void {
  fs.rmSync(file, { force: true });
}

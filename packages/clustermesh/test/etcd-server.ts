import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitFor } from '@ciliary/core/testing';

/**
 * A real etcd server on loopback for tests: its own temp data directory and
 * random free ports, so test files running in parallel never collide. It can
 * be stopped and started again on the same ports and data (a restart), killed
 * or paused with SIGSTOP (a network pause as clients see it).
 */
export class EtcdServer {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
  ) {}

  /** Starts a fresh server. `dataDir` defaults to a new temp directory (tmpfs when available). */
  static async start(name = 'etcd0'): Promise<EtcdServer> {
    const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
    const dataDir = await mkdtemp(path.join(base, 'ciliary-etcd-'));
    const [clientPort, peerPort] = await freePorts(2);
    const server = new EtcdServer(name, dataDir, clientPort!, peerPort!);
    await server.resume();
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (again) on the same ports and data, and waits until it answers /health. */
  async resume(): Promise<void> {
    if (this.running) return;
    const peer = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      'etcd',
      [
        '--name',
        this.name,
        '--data-dir',
        this.dataDir,
        '--listen-client-urls',
        this.url,
        '--advertise-client-urls',
        this.url,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `${this.name}=${peer}`,
        '--initial-cluster-state',
        'new',
        '--logger',
        'zap',
        '--log-outputs',
        'stderr',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    await waitFor(async () => (await this.healthy()) || this.failIfExited(child), {
      timeoutMs: 15_000,
      intervalMs: 20,
      description: `etcd ${this.name} on ${this.url} to become healthy`,
    });
  }

  /** Stops the process with SIGTERM (or the given signal) and waits for it to exit. Data is kept. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }

  /** Freezes the process: connections stay open but nothing answers, as in a network partition. */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  unpause(): void {
    this.child?.kill('SIGCONT');
  }

  /** Stops the server for good and removes its data. */
  async destroy(): Promise<void> {
    this.unpause();
    await this.stop('SIGKILL');
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async healthy(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(500) });
      const body = (await res.json()) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  private failIfExited(child: ChildProcess): false {
    if (child.exitCode !== null) throw new Error(`etcd exited with ${child.exitCode}: ${this.stderr}`);
    return false;
  }
}

/** Ports the kernel hands out as free right now (bound on port 0, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (typeof address !== 'object' || address === null) throw new Error('no port bound');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

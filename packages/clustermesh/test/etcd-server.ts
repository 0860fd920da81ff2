import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
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
    readonly dir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    /** Set when the server requires TLS with client certificates. */
    readonly tls: TestCertificates | undefined,
  ) {}

  /** Starts a fresh server in a new temp directory (tmpfs when available). */
  static async start(options: { name?: string; tls?: boolean } = {}): Promise<EtcdServer> {
    const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
    const dir = await mkdtemp(path.join(base, 'ciliary-etcd-'));
    const [clientPort, peerPort] = await freePorts(2);
    const tls = options.tls ? await makeCertificates(dir) : undefined;
    const server = new EtcdServer(options.name ?? 'etcd0', dir, clientPort!, peerPort!, tls);
    await server.resume();
    return server;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  get dataDir(): string {
    return path.join(this.dir, 'data');
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
        // Lets clients ping every second, so tests can notice a paused server quickly.
        '--grpc-keepalive-min-time',
        '1s',
        ...(this.tls
          ? [
              '--cert-file',
              this.tls.serverCert,
              '--key-file',
              this.tls.serverKey,
              '--trusted-ca-file',
              this.tls.ca,
              '--client-cert-auth',
            ]
          : []),
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
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Revokes a lease through etcd's JSON gateway, as an operator (or an expiry) would. */
  async revokeLease(id: string): Promise<void> {
    await this.gateway('/v3/lease/revoke', { ID: id });
  }

  /** Compacts the history up to a revision: watches from older revisions can no longer resume. */
  async compact(revision: number): Promise<void> {
    await this.gateway('/v3/kv/compaction', { revision: String(revision), physical: true });
  }

  private async healthy(): Promise<boolean> {
    try {
      const body = JSON.parse(await this.httpGet('/health')) as { health?: string };
      return body.health === 'true';
    } catch {
      return false;
    }
  }

  private async gateway(route: string, body: unknown): Promise<string> {
    if (this.tls) throw new Error('the JSON gateway helpers are for plain-text servers');
    const res = await fetch(`${this.url}${route}`, { method: 'POST', body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`etcd ${route}: ${res.status} ${text}`);
    return text;
  }

  private async httpGet(route: string): Promise<string> {
    if (!this.tls) {
      const res = await fetch(`${this.url}${route}`, { signal: AbortSignal.timeout(500) });
      return res.text();
    }
    const ca = await readFile(this.tls.ca);
    const cert = await readFile(this.tls.clientCert);
    const key = await readFile(this.tls.clientKey);
    return new Promise((resolve, reject) => {
      const req = request(`${this.url}${route}`, { ca, cert, key, timeout: 500 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.end();
    });
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

/** Files of a throw-away CA, a server certificate for 127.0.0.1 and a client certificate. */
export interface TestCertificates {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

async function makeCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): Promise<void> =>
    new Promise((resolve, reject) =>
      execFile('openssl', args, (err, _out, stderr) =>
        err ? reject(new Error(`openssl ${args[0]}: ${stderr}`)) : resolve(),
      ),
    );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-subj',
    '/CN=ciliary-test-ca',
    '-days',
    '1',
  );
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    await writeFile(file(`${name}.ext`), `${ext}\n`);
    await openssl(
      'req',
      ...ec,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    );
    await openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.crt'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-out',
      file(`${name}.crt`),
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
    );
  }
  return {
    ca: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
  };
}

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { test } from '@jest/globals';

/**
 * Debian's python3-grpcio (gRPC C-core) as a second, independent xDS client.
 * Only the system interpreter imports it: a pyenv or venv python on PATH does not.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';

const CLIENT_SCRIPT = path.join(__dirname, 'grpc_xds_client.py');

/** True when the system interpreter can import grpc (the python3-grpcio package is installed). */
export function pythonGrpcAvailable(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import grpc'], { stdio: 'ignore' }).status === 0;
}

/**
 * A test that needs python3-grpcio: skipped where it is missing, except under
 * CI=true, where the set-up script installs it, so a missing package fails.
 */
export function pythonGrpcTest(name: string, body: () => Promise<void>, timeoutMs?: number): void {
  if (pythonGrpcAvailable()) test(name, body, timeoutMs);
  else if (process.env['CI'] === 'true')
    test(name, () => {
      throw new Error(`${SYSTEM_PYTHON} cannot import grpc: install the python3-grpcio package`);
    });
  else
    test.skip(`${name} (skipped: ${SYSTEM_PYTHON} cannot import grpc; apt-get install python3-grpcio)`, () =>
      undefined);
}

export interface PythonXdsClientOptions {
  /** The xDS name to dial, without the `xds:///` scheme. */
  readonly target: string;
  /** `HOST:PORT` of the ADS server. */
  readonly server: string;
  readonly nodeId: string;
  /** Extra node fields for the bootstrap (e.g. metadata). */
  readonly node?: Readonly<Record<string, unknown>>;
}

/** One long-lived C-core channel to `xds:///TARGET` in a Python child process. */
export class PythonXdsClient {
  private readonly lines: AsyncIterator<string>;
  private readonly reader: Interface;
  private stderr = '';

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly directory: string,
  ) {
    this.reader = createInterface({ input: child.stdout });
    this.lines = this.reader[Symbol.asyncIterator]();
    child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
  }

  static start(options: PythonXdsClientOptions): PythonXdsClient {
    const directory = mkdtempSync(path.join(tmpdir(), 'ciliary-c-core-'));
    const bootstrap = path.join(directory, 'bootstrap.json');
    writeFileSync(
      bootstrap,
      JSON.stringify({
        xds_servers: [
          { server_uri: options.server, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] },
        ],
        node: { id: options.nodeId, locality: {}, ...options.node },
      }),
    );
    const child = spawn(SYSTEM_PYTHON, [CLIENT_SCRIPT, `xds:///${options.target}`], {
      env: {
        ...process.env,
        GRPC_XDS_BOOTSTRAP: bootstrap,
        // Between calls nothing polls the channel's sockets but C-core's backup
        // poller, every 5 s by default: pushes would sit unread that long.
        GRPC_CLIENT_CHANNEL_BACKUP_POLL_INTERVAL_MS: '50',
        PYTHONUNBUFFERED: '1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new PythonXdsClient(child, directory);
  }

  /** Makes `calls` calls on `path` and says which backend answered each (or `error:CODE`). */
  async call(callPath: string, headers: Record<string, string> = {}, calls = 1): Promise<string[]> {
    this.child.stdin.write(`${JSON.stringify({ path: callPath, headers, calls })}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error(`the Python gRPC client exited: ${this.stderr}`);
    return (JSON.parse(next.value) as { answers: string[] }).answers;
  }

  /** How many of `calls` calls each backend answered. */
  async shares(
    callPath: string,
    calls: number,
    headers: Record<string, string> = {},
  ): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const answer of await this.call(callPath, headers, calls))
      counts[answer] = (counts[answer] ?? 0) + 1;
    return counts;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    this.child.stdin.end();
    this.reader.close();
    await exited;
    rmSync(this.directory, { recursive: true, force: true });
  }
}

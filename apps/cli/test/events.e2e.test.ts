import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { waitFor } from '@ciliary/testing';
import { TetragonCodec } from '@ciliary/tetragon-events';
import { SensorServer } from '@ciliary/tetragon-events/server';

// The built command line, run as users run it, on the tetragon-events golden files.
jest.setTimeout(30_000);

const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const golden = path.resolve(__dirname, '../../../packages/tetragon-events/test/golden');

function run(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(ciliary, args, {
    encoding: 'utf8',
    timeout: 20_000,
    ...(input === undefined ? {} : { input }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function read(...parts: string[]): string {
  return fs.readFileSync(path.join(golden, ...parts), 'utf8');
}

function spawnCollect(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(ciliary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

describe('ciliary events', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ciliary-events-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A FineGuidanceSensors server on a unix socket in the test directory. */
  async function startServer(socket: string): Promise<{ server: SensorServer; address: string }> {
    const address = `unix://${path.join(dir, socket)}`;
    const server = new SensorServer({ codec: new TetragonCodec(), address, version: 'test' });
    return { server, address: await server.start() };
  }

  test('-o compact --color never on an export file prints what tetra prints', () => {
    for (const name of ['process-lifecycle', 'kprobe-variants', 'tracepoint-uprobe-lsm-loader']) {
      const r = run([
        'events',
        '-i',
        path.join(golden, name, 'input.jsonl'),
        '-o',
        'compact',
        '--color',
        'never',
      ]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(read(name, 'expected.compact'));
    }
  });

  test('stdin, -o json: canonical protojson lines', () => {
    const r = run(['events', '-i', '-'], read('go-spacing-and-lower-camel', 'input.jsonl'));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(read('go-spacing-and-lower-camel', 'expected.jsonl'));
  });

  test('--allow-list, --deny-list and --timestamps', () => {
    const options = JSON.parse(read('helm-default-filters', 'options.json')) as {
      allowList: string;
      denyList: string;
    };
    const r = run([
      'events',
      '-i',
      path.join(golden, 'helm-default-filters', 'input.jsonl'),
      '-o',
      'compact',
      '--color',
      'never',
      '--timestamps',
      '--allow-list',
      options.allowList,
      '--deny-list',
      options.denyList,
    ]);
    expect(r.stdout).toBe(read('helm-default-filters', 'expected.compact'));
  });

  test('tetra-style filter flags and field filters', () => {
    const input = path.join(golden, 'kprobe-variants', 'input.jsonl');
    const r = run([
      'events',
      '-i',
      input,
      '-e',
      'process_kprobe',
      '-n',
      'default',
      '--process',
      'cat$',
      '-f',
      'function_name,policy_name',
    ]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(14);
    expect(lines[0]).toBe(
      '{"process_kprobe":{"function_name":"security_file_permission","policy_name":"file-monitoring"},"node_name":"tetragon-dev-control-plane","time":"2024-04-14T02:18:14.376304204Z"}',
    );
    expect(run(['events', '-i', input, '--pod', '^nope$']).stdout).toBe('');
  });

  test('a bad line is reported with its number and the rest is printed', () => {
    const r = run([
      'events',
      '-i',
      path.join(golden, 'bad-lines-skipped', 'input.jsonl'),
      '-o',
      'compact',
      '--color',
      'never',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(read('bad-lines-skipped', 'expected.compact'));
    expect(r.stderr).toContain(
      'input.jsonl:2: /process_exec/process/pid: expected an unsigned 32-bit integer',
    );
  });

  test('invalid filters are refused with their source and reason', () => {
    const r = run(['events', '-i', '-', '--allow-list', '{"binary_regexp":["x"]}', '-e', 'PROCESS_NOPE'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown event type "PROCESS_NOPE"');
    expect(r.stderr).toContain(
      '--allow-list:1: /binary_regexp: unknown field "binary_regexp" of tetragon.Filter',
    );
  });

  test('--follow keeps reading a file that grows and rotates', async () => {
    const file = path.join(dir, 'tetragon.log');
    const lines = read('process-lifecycle', 'input.jsonl').trim().split('\n');
    fs.writeFileSync(file, `${lines[0]}\n`);
    const { child, output } = spawnCollect([
      'events',
      '-i',
      file,
      '--follow',
      '-o',
      'compact',
      '--color',
      'never',
    ]);
    await waitFor(() => output().includes('netserver'), { description: `first event; output:\n${output()}` });
    fs.appendFileSync(file, `${lines[1]}\n`);
    await waitFor(() => output().includes('/usr/bin/curl'), { description: 'appended event' });
    fs.renameSync(file, `${file}.1`);
    fs.writeFileSync(file, `${lines[3]}\n`);
    await waitFor(() => output().includes('SIGKILL'), { description: 'event after rotation' });
    child.kill('SIGINT');
    await new Promise((resolve) => child.on('exit', resolve));
    expect(output()).toBe(
      read('process-lifecycle', 'expected.compact')
        .split('\n')
        .filter((_l, i) => i !== 2)
        .join('\n'),
    );
  }, 30_000);

  test('a reader that closes the pipe early (| head) ends the command quietly with status 0', async () => {
    const big = path.join(dir, 'big.log');
    const lines = read('process-lifecycle', 'input.jsonl').trim().split('\n');
    fs.writeFileSync(
      big,
      `${Array.from({ length: 20_000 }, (_, i) => lines[i % lines.length]).join('\n')}\n`,
    );
    const child = spawn(ciliary, ['events', '-i', big, '-o', 'compact', '--color', 'never'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const [first] = (await once(child.stdout, 'data')) as [Buffer];
    expect(first.toString()).toMatch(/^🚀 process /);
    child.stdout.destroy();
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  test('--reconnect waits for a server that is not there yet and comes back to one that restarted', async () => {
    const codec = new TetragonCodec();
    const socket = `unix://${path.join(dir, 'restarting.sock')}`;
    const publishExec = (server: SensorServer): void => {
      const r = codec.parseEvent(read('process-lifecycle', 'input.jsonl').split('\n')[0]!);
      if (r.ok) server.publish(r.value);
    };
    const { child, output } = spawnCollect([
      'events',
      '--server',
      socket,
      '--reconnect',
      '--reconnect-wait',
      '100ms',
      '-o',
      'compact',
      '--color',
      'never',
    ]);
    const servers: SensorServer[] = [];
    try {
      await waitFor(() => output().includes('connecting again in 100ms'), {
        description: `a failed first connection; output:\n${output()}`,
        timeoutMs: 15_000,
      });
      for (let round = 1; round <= 2; round++) {
        const server = new SensorServer({ codec, address: socket, version: 'test' });
        servers.push(server);
        await server.start();
        await waitFor(() => server.stats().clients === 1, {
          description: `client connected in round ${round}; output:\n${output()}`,
          timeoutMs: 15_000,
        });
        publishExec(server);
        await waitFor(() => output().split('🚀 process').length === round + 1, {
          description: `exec line ${round}; output:\n${output()}`,
        });
        await server.stop();
      }
      expect(output().match(/🚀 process default\/netperf-server \/usr\/bin\/netserver -D\n/g)).toHaveLength(
        2,
      );
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('exit', resolve));
      for (const server of servers) await server.stop();
    }
    expect(child.exitCode).toBe(0);
  }, 40_000);

  test('without --reconnect, a server that ends the stream ends the command with status 0', async () => {
    const { server, address } = await startServer('ending.sock');
    const { child, output } = spawnCollect([
      'events',
      '--server',
      address,
      '-o',
      'compact',
      '--color',
      'never',
    ]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => server.stats().clients === 1, {
        description: `a client; output:\n${output()}`,
        timeoutMs: 15_000,
      });
    } finally {
      await server.stop();
    }
    expect(await exited).toBe(0);
    expect(output()).toBe('');
  });

  test('an input that cannot be read is named in the error', () => {
    const missing = run(['events', '-i', path.join(dir, 'missing.log')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `ciliary: ${path.join(dir, 'missing.log')}: ENOENT: no such file or directory\n`,
    );
    const directory = run(['events', '-i', dir]);
    expect(directory.code).toBe(1);
    expect(directory.stderr).toBe(`ciliary: ${dir}: EISDIR: illegal operation on a directory\n`);
  });

  test('--reconnect-wait must be a duration', () => {
    const r = run(['events', '--server', 'localhost:1', '--reconnect', '--reconnect-wait', 'soon']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--reconnect-wait: "soon" is not a duration');
  });

  test("--policy-names, --namespace-regex and --containers filter as tetra's flags do", () => {
    const input = path.join(golden, 'kprobe-variants', 'input.jsonl');
    const all = run(['events', '-i', input, '-o', 'compact', '--color', 'never']).stdout.trim().split('\n');
    const byPolicy = run(['events', '-i', input, '--policy-names', 'file-monitoring', '-f', 'policy_name']);
    const policies = byPolicy.stdout.trim().split('\n');
    expect(policies.length).toBeGreaterThan(0);
    expect(policies.length).toBeLessThan(all.length);
    for (const line of policies) expect(JSON.parse(line).process_kprobe.policy_name).toBe('file-monitoring');
    expect(run(['events', '-i', input, '--namespace-regex', '^def']).stdout.trim().split('\n')).toHaveLength(
      14,
    );
    expect(run(['events', '-i', input, '--namespace-regex', '^kube-']).stdout).toBe('');
    expect(run(['events', '-i', input, '--containers', '^no-such-container$']).stdout).toBe('');
  });

  test('--server streams from a FineGuidanceSensors server with server-side filters', async () => {
    const codec = new TetragonCodec();
    const { server, address } = await startServer('tetragon.sock');
    const { child, output } = spawnCollect([
      'events',
      '--server',
      address,
      '-o',
      'compact',
      '--color',
      'never',
      '-n',
      'default',
    ]);
    try {
      await waitFor(() => server.stats().clients === 1, {
        description: `a client; output:\n${output()}`,
        timeoutMs: 15_000,
      });
      for (const line of read('process-lifecycle', 'input.jsonl').trim().split('\n')) {
        const r = codec.parseEvent(line);
        if (r.ok) server.publish(r.value);
      }
      await waitFor(() => output().split('\n').length > 2, {
        description: `two events; output:\n${output()}`,
      });
      expect(output()).toBe(
        '🚀 process default/netperf-server /usr/bin/netserver -D\n💥 exit    default/elasticsearch-0 /usr/bin/cat /usr/share/elasticsearch/config/elasticsearch.keystore 1\n',
      );
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.on('exit', resolve));
      await server.stop();
    }
  }, 30_000);
});

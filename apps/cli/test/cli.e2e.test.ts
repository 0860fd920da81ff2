import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitFor } from '@ciliary/testing';

// The real command line, as users run it: the built bin at node_modules/.bin/ciliary.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('ciliary command line', () => {
  let dir: string;
  let socket: string;
  let agent: ChildProcess;
  let agentExit: Promise<number | null>;
  let logs = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-cli-'));
    socket = path.join(dir, 'state', 'ciliary.sock');
    await writeFile(path.join(dir, 'ns.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n');
    agent = spawn(
      ciliary,
      [
        'agent',
        '--manifests',
        dir,
        '--state-dir',
        path.join(dir, 'state'),
        '--metrics',
        '127.0.0.1:0',
        '--node-name',
        'n1',
        // The datapath has its own end-to-end tests; this one is about the command line.
        '--no-datapath',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
    agentExit = new Promise((resolve) => agent.on('exit', (code) => resolve(code)));
    await waitFor(() => logs.includes('agent ready'), {
      timeoutMs: 20_000,
      description: `agent ready; logs so far:\n${logs}`,
    });
  }, 30_000);

  afterAll(async () => {
    if (agent.exitCode === null) agent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('the agent logs structured JSON lines naming its API socket', () => {
    const lines = logs
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l['msg'] === 'agent API listening')).toMatchObject({
      socket,
      node: 'n1',
      level: 30,
    });
  });

  test('status -o json answers from the running agent', () => {
    const { code, stdout } = run('status', '--api-socket', socket, '-o', 'json');
    expect(code).toBe(0);
    const status = JSON.parse(stdout) as {
      node: string;
      state: string;
      resourceSource: { kinds: Array<{ kind: string; objects: number }> };
    };
    expect(status.node).toBe('n1');
    expect(status.state).toBe('Ok');
    expect(status.resourceSource.kinds.find((k) => k.kind === 'core/v1/Namespace')?.objects).toBe(1);
  });

  test('status follows edits to the manifests directory', async () => {
    await writeFile(
      path.join(dir, 'pod.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\n',
    );
    await waitFor(() => /core\/v1\/Pod\s+1/.test(run('status', '--api-socket', socket).stdout), {
      timeoutMs: 10_000,
      description: 'the pod to show in `ciliary status`',
    });
    const { stdout } = run('status', '--api-socket', socket);
    expect(stdout).toMatch(/^State:\s+Ok$/m);
    expect(stdout).toMatch(/^Node:\s+n1$/m);
  });

  test('version prints the client and the agent', () => {
    const { code, stdout } = run('version', '--api-socket', socket, '-o', 'json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ client: '0.1.0', agent: '0.1.0' });
  });

  test('every command has --help', () => {
    for (const command of [[], ['agent'], ['operator'], ['status'], ['version']]) {
      const { code, stdout } = run(...command, '--help');
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: ciliary/);
    }
  });

  test('bad flags and a missing agent give one clear line and a non-zero exit', () => {
    const missing = run('status', '--api-socket', path.join(dir, 'nope.sock'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^ciliary: cannot reach the daemon: is it running\? \(no API at .*nope\.sock\)\n$/,
    );
    const badLevel = run('agent', '--manifests', dir, '--log-level', 'loud');
    expect(badLevel.code).toBe(1);
    expect(badLevel.stderr).toBe('ciliary: invalid --log-level "loud": use debug, info, warn or error\n');
    const badOutput = run('status', '-o', 'yaml');
    expect(badOutput.code).not.toBe(0);
    expect(badOutput.stderr).toMatch(/Allowed choices are table, json/);
  });

  test('SIGTERM stops the agent cleanly and removes its socket', async () => {
    agent.kill('SIGTERM');
    expect(await agentExit).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(logs).toContain('"msg":"stopped"');
  });
});

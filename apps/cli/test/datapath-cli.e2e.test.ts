import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';

// The datapath commands as users run them: the built binary, an agent with the
// datapath on a manifests directory, endpoint list/get, monitor and observe.

const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const feature = {
  name: 'root with BPF, tc and network namespaces',
  available: () => isRoot() && existsSync('/sys/fs/bpf'),
};
const ns = `cli${process.pid}`;

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function follow(args: string[]): { child: ChildProcess; lines: () => string[] } {
  const child = spawn(ciliary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, lines: () => out.split('\n').filter((l) => l.trim().startsWith('{')) };
}

describe('ciliary endpoint, monitor and observe against a running agent', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciliary-cli-dp-'));
  const socket = path.join(dir, 'state', 'ciliary.sock');
  const pinRoot = `/sys/fs/bpf/ciliary-cli-${process.pid}`;
  const followers: ChildProcess[] = [];
  let agent: ChildProcess | undefined;
  let exit: Promise<number | null> | undefined;

  beforeAll(async () => {
    if (!feature.available()) return;
    const pod = (name: string, ip: string): string =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: {app: ${name}}}\nstatus: {podIP: ${ip}}`;
    writeFileSync(
      path.join(dir, 'cluster.yaml'),
      [
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
        pod('client', '10.83.0.1'),
        pod('server', '10.83.0.2'),
        `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: lock, namespace: ${ns}}\nspec:\n  endpointSelector: {matchLabels: {app: server}}\n  ingress: [{fromEndpoints: [{matchLabels: {app: nobody}}]}]`,
      ].join('\n---\n'),
    );
    let logs = '';
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
        '--bpf-root',
        pinRoot,
        '--cleanup',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
    agent.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
    exit = new Promise((resolve) => agent!.on('exit', resolve));
    await waitFor(() => logs.includes('agent ready'), {
      timeoutMs: 20_000,
      description: `agent ready: ${logs}`,
    });
  }, 30_000);

  afterAll(async () => {
    for (const f of followers) f.kill('SIGKILL');
    if (agent && agent.exitCode === null) agent.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    rmSync(pinRoot, { recursive: true, force: true });
  });

  kernelTest(
    'lists endpoints, shows one, streams the drop, and cleans up on SIGTERM',
    feature,
    async () => {
      const endpoints = await waitFor(
        () => {
          const r = run('endpoint', 'list', '--api-socket', socket, '-o', 'json');
          const list =
            r.code === 0
              ? (JSON.parse(r.stdout) as Array<{ endpointId: number; pod: string; state: string }>)
              : [];
          return list.length === 2 && list.every((e) => e.state === 'ready') ? list : undefined;
        },
        { timeoutMs: 20_000, description: 'two ready endpoints' },
      );
      const server = endpoints.find((e) => e.pod === 'server')!;
      const table = run('endpoint', 'list', '--api-socket', socket).stdout;
      expect(table).toMatch(/^ENDPOINT\s+IDENTITY\s+IPV4\s+POD\s+POLICY ENTRIES\s+STATUS$/m);
      const detail = JSON.parse(
        run('endpoint', 'get', String(server.endpointId), '--api-socket', socket, '-o', 'json').stdout,
      ) as {
        labels: string[];
        policy: unknown[];
      };
      expect(detail.labels).toContain('k8s:app=server');
      expect(run('endpoint', 'get', '999', '--api-socket', socket).stderr).toMatch(/endpoint 999 not found/);

      const monitor = follow(['monitor', '--type', 'drop', '--api-socket', socket, '-o', 'json']);
      const observe = follow(['observe', '--verdict', 'DROPPED', '--api-socket', socket, '-o', 'json']);
      followers.push(monitor.child, observe.child);
      await waitFor(
        () => {
          try {
            execFileSync(
              'ip',
              ['netns', 'exec', `ciliary-${ns}-client`, 'ping', '-c', '1', '-W', '1', '10.83.0.2'],
              { stdio: 'ignore' },
            );
          } catch {
            // denied, as it should be
          }
          return monitor.lines().length > 0 && observe.lines().length > 0;
        },
        { timeoutMs: 15_000, description: 'the drop on monitor and observe' },
      );
      expect(JSON.parse(monitor.lines()[0]!)).toMatchObject({
        type: 'drop',
        reason: 133,
        reasonText: 'Policy denied',
        endpoint: server.endpointId,
      });
      expect(JSON.parse(observe.lines()[0]!)).toMatchObject({
        flow: {
          verdict: 'DROPPED',
          dropReason: 'Policy denied',
          source: { pod: `${ns}/client` },
          destination: { pod: `${ns}/server` },
        },
      });

      agent!.kill('SIGTERM');
      expect(await exit).toBe(0);
      expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`ciliary-${ns}-`);
    },
    60_000,
  );
});

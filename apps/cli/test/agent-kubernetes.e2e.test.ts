import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds } from '@ciliary/core';
import { FakeKubeApiServer, waitFor } from '@ciliary/testing';

const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function podCount(socket: string): number | undefined {
  const out = spawnSync(ciliary, ['status', '--api-socket', socket, '-o', 'json'], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const status = JSON.parse(out.stdout) as {
    resourceSource: { kinds: Array<{ kind: string; objects: number }> };
  };
  return status.resourceSource.kinds.find((k) => k.kind === 'core/v1/Pod')?.objects;
}

describe('ciliary agent --kubeconfig', () => {
  let dir: string;
  let server: FakeKubeApiServer;
  let agent: ChildProcess;
  let logs = '';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-agent-k8s-'));
    server = new FakeKubeApiServer(Object.values(Kinds));
    await server.start();
    server.apply(Kinds.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default' } });
    const kubeconfig = await server.writeKubeconfig(dir);
    agent = spawn(
      ciliary,
      ['agent', '--kubeconfig', kubeconfig, '--state-dir', dir, '--metrics', '127.0.0.1:0', '--no-datapath'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    agent.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
    await waitFor(() => logs.includes('agent ready'), { timeoutMs: 20_000, description: 'agent ready' });
  }, 30_000);

  afterAll(async () => {
    agent.kill('SIGKILL');
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('lists every kind from the API server, then follows its watch', async () => {
    const socket = path.join(dir, 'ciliary.sock');
    expect(podCount(socket)).toBe(1);
    expect(server.requests).toContain('/apis/cilium.io/v2');
    server.apply(Kinds.Pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'b', namespace: 'default' } });
    await waitFor(() => podCount(socket) === 2, {
      timeoutMs: 10_000,
      description: 'the second pod through the watch',
    });
    expect(logs).toContain('"source":"kubernetes"');
  });
});

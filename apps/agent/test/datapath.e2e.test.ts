import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '@ciliary/core';
import { ApiClient, streamJson, type DaemonStatus, type RunningDaemon } from '@ciliary/daemon';
import type { EndpointStatus, MonitorEvent } from '@ciliary/datapath';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { startAgent } from '../src';

const feature = {
  name: 'root with BPF, tc and network namespaces',
  available: () => isRoot() && existsSync('/sys/fs/bpf'),
};
const ns = `e2e${process.pid}`;
const router = {
  hostDevice: `cde${process.pid % 100000}h`,
  peerDevice: `cde${process.pid % 100000}n`,
  routerIp: '169.254.46.1',
};

function manifests(icmpAllowed: boolean): string {
  const pod = (name: string, ip: string, app: string): string =>
    `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: ${ns}, labels: {app: ${app}}}\nspec: {nodeName: node-e2e}\nstatus: {podIP: ${ip}}`;
  const icmps = icmpAllowed ? `\n      icmps:\n        - fields:\n            - {type: 8, family: IPv4}` : '';
  return [
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}`,
    pod('client', '10.81.0.1', 'client'),
    pod('server', '10.81.0.2', 'server'),
    pod('elsewhere', '10.81.0.3', 'other').replace('node-e2e', 'another-node'),
    `apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: server-ingress, namespace: ${ns}}\nspec:\n  endpointSelector: {matchLabels: {app: server}}\n  ingress:\n    - fromEndpoints:\n        - matchLabels: {app: client}\n      toPorts:\n        - ports: [{port: "7000", protocol: TCP}]${icmps}`,
  ].join('\n---\n');
}

function ping(fromPod: string, ip: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', `ciliary-${ns}-${fromPod}`, 'ping', '-c', '1', '-W', '1', ip], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

describe('agent with the datapath on a manifests directory', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciliary-agent-dp-'));
  const pinRoot = `/sys/fs/bpf/ciliary-agent-e2e-${process.pid}`;
  const socket = path.join(dir, 'state', 'ciliary.sock');
  let agent: RunningDaemon | undefined;

  beforeAll(async () => {
    if (!feature.available()) return;
    writeFileSync(path.join(dir, 'cluster.yaml'), manifests(true));
    agent = await startAgent(
      {
        manifests: dir,
        nodeName: 'node-e2e',
        stateDir: path.join(dir, 'state'),
        apiSocket: socket,
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      {
        logger: silentLogger(),
        datapath: {
          pinRoot,
          cleanupOnStop: true,

          router,
        } /* a router of its own: tests run side by side */,
      },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pinRoot, { recursive: true, force: true });
  });

  kernelTest(
    'pods on this node become endpoints that enforce the policy; edits take effect; drops are monitored',
    feature,
    async () => {
      const client = new ApiClient(socket);
      const endpoints = await waitFor(
        async () => {
          const list = await client.get<EndpointStatus[]>('/v1/endpoint');
          return list.length === 2 && list.every((e) => e.state === 'ready') ? list : undefined;
        },
        { timeoutMs: 20_000, description: 'two ready endpoints (the pod on another node gets none)' },
      );
      expect(endpoints.map((e) => e.pod).sort()).toEqual(['client', 'server']);
      expect(ping('client', '10.81.0.2')).toBe(true);

      const events: MonitorEvent[] = [];
      const stream = streamJson<MonitorEvent>(socket, '/v1/monitor?type=drop', (e) => events.push(e));
      try {
        writeFileSync(path.join(dir, 'cluster.yaml'), manifests(false));
        await waitFor(() => !ping('client', '10.81.0.2'), {
          timeoutMs: 15_000,
          description: 'ICMP denied after the edit',
        });
        const drop = await waitFor(() => events.find((e) => e.reason === 133), {
          description: 'a policy drop on the monitor stream',
        });
        const server = endpoints.find((e) => e.pod === 'server')!;
        expect(drop).toMatchObject({
          type: 'drop',
          endpoint: server.endpointId,
          dstIdentity: server.identity,
        });
      } finally {
        stream.close();
      }
      const status = await client.get<DaemonStatus>('/v1/status');
      expect(status.subsystems.find((s) => s.name === 'datapath')).toMatchObject({
        state: 'Ok',
        message: '2/2 endpoints ready',
      });
    },
    60_000,
  );
});

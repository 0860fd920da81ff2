import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '@ciliary/core';
import { ApiClient, type RunningDaemon } from '@ciliary/daemon';
import { egressPolicyMap, KernelBackend, TypedMap } from '@ciliary/ebpf-maps';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { startAgent } from '../src';

const feature = {
  name: 'root with bpffs and libbpf.so.1',
  available: (): boolean => {
    if (!isRoot() || !existsSync('/sys/fs/bpf')) return false;
    try {
      execFileSync('sh', ['-c', 'ldconfig -p | grep -q libbpf.so.1']);
      return true;
    } catch {
      return false;
    }
  },
};

const cluster = `
apiVersion: v1
kind: Node
metadata: {name: node-egress, labels: {egress: "true"}}
status: {addresses: [{type: InternalIP, address: 192.168.50.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: node-other}
status: {addresses: [{type: InternalIP, address: 192.168.50.2}]}
---
apiVersion: cilium.io/v2
kind: CiliumEgressGatewayPolicy
metadata: {name: to-partner}
spec:
  selectors: [{podSelector: {matchLabels: {app: billing}}}]
  destinationCIDRs: [203.0.113.0/24]
  egressGateway: {nodeSelector: {matchLabels: {egress: "true"}}}
`;

const pod = (app: string): string => `
apiVersion: v1
kind: Pod
metadata: {name: billing-1, namespace: shop, labels: {app: ${app}}}
status: {podIP: 10.9.0.5}
`;

interface EgressStatus {
  synced: boolean;
  policies: Array<{ policy: string; entries: number; programmed: number; gateways: Array<{ node: string }> }>;
}

describe('agent with the egress gateway on a manifests directory', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-agent-egress-')));
  const socket = path.join(dir, 'state', 'ciliary.sock');
  const pinRoot = `/sys/fs/bpf/ciliary-agent-egress-${process.pid}`;
  let agent: RunningDaemon | undefined;

  beforeAll(async () => {
    if (!feature.available()) return;
    writeFileSync(path.join(dir, 'cluster.yaml'), cluster);
    writeFileSync(path.join(dir, 'pod.yaml'), pod('billing'));
    agent = await startAgent(
      {
        manifests: path.join(dir),
        nodeName: 'node-other',
        stateDir: path.join(dir, 'state'),
        apiSocket: socket,
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      { logger: silentLogger(), datapath: false, egress: { pinRoot } },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(pinRoot, { recursive: true, force: true });
  });

  kernelTest('programs the pinned map from the manifests and follows their changes', feature, async () => {
    const api = new ApiClient(socket);
    const status = await waitFor(
      async () => {
        const s = await api.get<EgressStatus>('/v1/egress/status');
        return s.synced && s.policies[0]?.programmed === 1 ? s : undefined;
      },
      { description: 'the egress entries to be programmed' },
    );
    expect(status.policies[0]).toMatchObject({
      policy: 'CiliumEgressGatewayPolicy/to-partner',
      entries: 1,
      gateways: [{ node: 'node-egress' }],
    });
    const map = TypedMap.open(new KernelBackend(), egressPolicyMap(), { pinRoot });
    try {
      expect(map.entries()).toEqual([
        [
          { prefixlen: 56, saddr: '10.9.0.5', daddr: '203.0.113.0' },
          { egress_ip: '0.0.0.0', gateway_ip: '192.168.50.1' },
        ],
      ]);
      expect(await api.get('/v1/egress/entries')).toEqual({
        entries: [
          {
            sourceIP: '10.9.0.5',
            destinationCIDR: '203.0.113.0/24',
            egressIP: '0.0.0.0',
            gatewayIP: '192.168.50.1',
          },
        ],
      });
      // The pod is relabelled out of the policy: its entry leaves the kernel map.
      writeFileSync(path.join(dir, 'pod.yaml'), pod('frontend'));
      await waitFor(() => map.entries().length === 0, { description: 'the entry to be deleted' });
      const subsystems = await api.get<{ subsystems: Array<{ name: string; state: string }> }>('/v1/status');
      expect(subsystems.subsystems.find((s) => s.name === 'egress-gateway')?.state).toBe('Ok');
    } finally {
      map.close();
    }
  });
});

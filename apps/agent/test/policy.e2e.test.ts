import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger } from '@ciliary/core';
import { ApiClient, ApiClientError, type DaemonStatus, type RunningDaemon } from '@ciliary/daemon';
import { endpointMapReport, PolicyEngine, type EndpointMapReport } from '@ciliary/policy-model';
import { parseManifestText } from '@ciliary/resource-source';
import { waitFor } from '@ciliary/testing';
import { startAgent, type PolicyListing } from '../src';

// The agent's policy subsystem on a manifests directory: it serves the map state
// policy-model computes, follows edits, and keeps the last good policy when one turns invalid.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {nodeName: node-a}
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
spec: {nodeName: node-a}
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: remote, namespace: shop, labels: {app: client}}
spec: {nodeName: node-b}
status: {podIP: 10.0.2.1}
`;

const policy = (port: string): string => `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: client}}]
      toPorts: [{ports: [{port: ${port}, protocol: TCP}]}]
`;

function expectedReport(files: readonly string[], endpoint: string): EndpointMapReport | undefined {
  const engine = new PolicyEngine({ isLocal: (pod) => pod.nodeName === 'node-a' });
  for (const text of files)
    for (const { object } of parseManifestText('test', text, Object.values(Kinds)).objects)
      engine.upsert(object);
  engine.flush();
  return endpointMapReport(engine, endpoint);
}

describe('agent policy subsystem', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciliary-agent-policy-'));
  const socket = path.join(dir, 'state', 'ciliary.sock');
  const api = new ApiClient(socket);
  let agent: RunningDaemon | undefined;

  const report = (endpoint: string): Promise<EndpointMapReport> =>
    api.get<EndpointMapReport>(`/v1/policy?endpoint=${encodeURIComponent(endpoint)}`);

  beforeAll(async () => {
    writeFileSync(path.join(dir, 'cluster.yaml'), CLUSTER);
    writeFileSync(path.join(dir, 'policy.yaml'), policy('"8080"'));
    agent = await startAgent(
      {
        manifests: dir,
        nodeName: 'node-a',
        stateDir: path.join(dir, 'state'),
        apiSocket: socket,
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      { logger: silentLogger(), datapath: false },
    );
    await waitFor(
      () =>
        api.get('/v1/policy').then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 20_000,
        description: 'policy computed',
      },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('serves the local endpoints and their map state as policy-model computes it', async () => {
    const listing = await api.get<PolicyListing>('/v1/policy');
    expect(listing.endpoints.map((e) => `${e.endpoint} ${e.ingressEnforced} ${e.egressEnforced}`)).toEqual([
      'shop/client false false',
      'shop/web true false',
    ]);
    expect(listing).toMatchObject({ rules: 1, rejected: [] });
    expect(await report('shop/web')).toEqual(expectedReport([CLUSTER, policy('"8080"')], 'shop/web'));
    await expect(report('shop/remote')).rejects.toThrow('no local endpoint shop/remote on node node-a');
    const identities = await api.get<{ identities: Array<{ id: number }> }>('/v1/identity');
    expect(identities.identities.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 256, 257]);
  });

  test('follows an edited policy, and keeps the last good one when the edit is invalid', async () => {
    writeFileSync(path.join(dir, 'policy.yaml'), policy('"9090"'));
    await waitFor(async () => (await report('shop/web')).entries.some((e) => e.port === 9090), {
      timeoutMs: 20_000,
      description: 'the new port in the map state',
    });
    expect(await report('shop/web')).toEqual(expectedReport([CLUSTER, policy('"9090"')], 'shop/web'));

    writeFileSync(path.join(dir, 'policy.yaml'), policy('9091'));
    await waitFor(async () => (await api.get<PolicyListing>('/v1/policy')).rejected.length === 1, {
      timeoutMs: 20_000,
      description: 'the invalid policy reported',
    });
    const listing = await api.get<PolicyListing>('/v1/policy');
    expect(listing.rejected).toEqual([
      {
        policy: 'CiliumNetworkPolicy shop/web-in',
        issues: ['/spec/ingress/0/toPorts/0/ports/0/port: must be a string: quote the port ("9091")'],
      },
    ]);
    expect((await report('shop/web')).entries.some((e) => e.port === 9090)).toBe(true);
    const status = await api.get<DaemonStatus>('/v1/status');
    expect(status.subsystems.find((s) => s.name === 'policy')).toMatchObject({ state: 'Degraded' });
  });

  test('ciliary policy map --agent prints what the agent serves', async () => {
    // Asynchronously: the agent runs in this process and must keep answering.
    const result = await promisify(execFile)(
      ciliary,
      ['policy', 'map', '--agent', '--api-socket', socket, '--endpoint', 'shop/web', '-o', 'json'],
      { encoding: 'utf8', timeout: 25_000 },
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual(await report('shop/web'));
  });

  test('an unknown route answers 404, not a crash', async () => {
    await expect(api.get('/v1/policy/nope')).rejects.toBeInstanceOf(ApiClientError);
  });
});

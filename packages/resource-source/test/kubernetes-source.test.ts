import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger, systemClock, type KubeObject } from '@ciliary/core';
import { FakeKubeApiServer, waitFor } from '@ciliary/testing';
import { KubernetesSource } from '../src';

const kinds = [Kinds.Pod, Kinds.CiliumNetworkPolicy];

function pod(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels } };
}

describe('KubernetesSource through @kubernetes/client-node against an API server double', () => {
  let dir: string;
  let server: FakeKubeApiServer;
  let source: KubernetesSource | undefined;

  // The client is ESM; jest transforms all of it on first load, which on a cold cache and a
  // busy 2-core machine takes far longer than any test. Load it once, up front, with room.
  beforeAll(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@kubernetes/client-node');
  }, 180_000);

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-kube-'));
    server = new FakeKubeApiServer(kinds);
    await server.start();
  });
  afterEach(async () => {
    await source?.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('lists, then follows the watch for adds, updates and deletes', async () => {
    server.apply(Kinds.Pod, pod('a'));
    server.apply(Kinds.CiliumNetworkPolicy, {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumNetworkPolicy',
      metadata: { name: 'allow', namespace: 'default' },
      spec: { endpointSelector: {} },
    });
    source = new KubernetesSource({
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
      kubeconfig: await server.writeKubeconfig(dir),
    });
    await source.start();
    expect(source.list(Kinds.Pod).map((p) => p.metadata.name)).toEqual(['a']);
    expect(source.list(Kinds.CiliumNetworkPolicy)[0]).toMatchObject({
      kind: 'CiliumNetworkPolicy',
      spec: { endpointSelector: {} },
    });
    expect(source.status()).toMatchObject({ type: 'kubernetes', origin: server.url, synced: true });

    const seen: string[] = [];
    source.subscribe(Kinds.Pod, (e) => seen.push(e.type === 'synced' ? 'synced' : `${e.type} ${e.key}`));
    await waitFor(() => server.openWatches === 2, { description: 'both watches open' });
    server.apply(Kinds.Pod, pod('b'));
    server.apply(Kinds.Pod, pod('a', { app: 'web' }));
    server.delete(Kinds.Pod, 'default', 'b');
    await waitFor(() => seen.length === 5, { description: 'watch events' });
    expect(seen).toEqual([
      'upsert default/a',
      'synced',
      'upsert default/b',
      'upsert default/a',
      'delete default/b',
    ]);
    expect(source.list(Kinds.Pod)[0]?.metadata.labels).toEqual({ app: 'web' });
  });

  test('resumes after the API server ends the watch, without losing changes', async () => {
    server.apply(Kinds.Pod, pod('a'));
    source = new KubernetesSource({
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
      kubeconfig: await server.writeKubeconfig(dir),
      restartDelayMs: 10,
    });
    await source.start();
    await waitFor(() => server.openWatches === 2);
    server.closeWatches();
    server.apply(Kinds.Pod, pod('c'));
    await waitFor(() => source!.list(Kinds.Pod).length === 2, {
      description: 'pod c after the watch restarted',
    });
    const watchRequests = server.requests.filter((r) => r.startsWith('/api/v1/pods?') && r.includes('watch'));
    expect(watchRequests.length).toBeGreaterThanOrEqual(2);
    expect(watchRequests[1]).toMatch(/resourceVersion=\d+/);
  });

  test('a kind the API server does not serve (CRD not installed) does not hold up start-up', async () => {
    await server.stop();
    server = new FakeKubeApiServer([Kinds.Pod]);
    await server.start();
    server.apply(Kinds.Pod, pod('a'));
    source = new KubernetesSource({
      kinds,
      clock: systemClock(),
      logger: silentLogger(),
      kubeconfig: await server.writeKubeconfig(dir),
      notServedRetryMs: 60_000,
    });
    await source.start();
    expect(source.list(Kinds.Pod)).toHaveLength(1);
    expect(source.list(Kinds.CiliumNetworkPolicy)).toEqual([]);
    expect(source.status().synced).toBe(true);
    expect(source.status().problems.join('\n')).toMatch(/cilium\.io\/v2\/CiliumNetworkPolicy/);
  });
});

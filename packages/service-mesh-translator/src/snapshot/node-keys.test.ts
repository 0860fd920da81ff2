import { describe, expect, test } from '@jest/globals';
import { NodeSnapshotCache, proxylessAwareNodeKey } from './cache';
import { meshNodeKey, workloadOfNode } from './node-keys';
import { Snapshot } from './snapshot';
import { envoyResourceTypes } from '../resources/resource-types';

const SIDECAR_ID = 'sidecar~10.0.1.5~reviews-v1-7d9f.shop~shop.svc.cluster.local';

describe('workloadOfNode', () => {
  test('reads role, pod and namespace from an Istio-style node id', () => {
    expect(workloadOfNode({ id: SIDECAR_ID })).toEqual({
      role: 'sidecar',
      pod: 'reviews-v1-7d9f',
      namespace: 'shop',
    });
    // Pod names may hold dots; the namespace is the last label before the domain.
    expect(workloadOfNode({ id: 'sidecar~10.0.1.5~a.b.shop~shop.svc.cluster.local' })?.pod).toBe('a.b');
  });

  test('node metadata NAMESPACE and POD_NAME win over the id', () => {
    expect(workloadOfNode({ id: SIDECAR_ID, metadata: { NAMESPACE: 'qa', POD_NAME: 'tester' } })).toEqual({
      role: 'sidecar',
      pod: 'tester',
      namespace: 'qa',
    });
    expect(workloadOfNode({ id: 'client-1', metadata: { NAMESPACE: 'qa' } })).toEqual({ namespace: 'qa' });
  });

  test('ids of another shape say nothing', () => {
    for (const id of ['envoy', 'a~b~c', 'sidecar~1.2.3.4~pod.other~shop.svc.cluster.local', '~1~p.ns~ns.svc'])
      expect([id, workloadOfNode({ id })]).toEqual([id, undefined]);
  });
});

describe('meshNodeKey', () => {
  test('gRPC libraries get their namespace view, then the shared proxyless one', () => {
    expect(meshNodeKey({ id: 'c', userAgentName: 'gRPC Python', metadata: { NAMESPACE: 'qa' } })).toEqual([
      'proxyless/qa',
      'proxyless',
    ]);
    // A proxyless client with an Istio-style id is still a gRPC library, not a sidecar.
    expect(meshNodeKey({ id: SIDECAR_ID, userAgentName: 'gRPC Node' })).toEqual([
      'proxyless/shop',
      'proxyless',
    ]);
    expect(meshNodeKey({ id: 'c', userAgentName: 'gRPC C-core' })).toEqual(['proxyless']);
  });

  test('a sidecar Envoy gets its pod and nothing else; other Envoys their id, then the default', () => {
    expect(meshNodeKey({ id: SIDECAR_ID, userAgentName: 'envoy' })).toEqual(['sidecar/shop/reviews-v1-7d9f']);
    expect(meshNodeKey({ id: 'node-1', userAgentName: 'envoy' })).toBe('node-1');
    expect(proxylessAwareNodeKey({ id: 'node-1' })).toBe('node-1');
  });
});

describe('NodeSnapshotCache keys', () => {
  const registry = envoyResourceTypes();
  const a = new Snapshot(registry, []);
  const b = new Snapshot(registry, []);

  test('a single key falls back to the default snapshot, a list only to its own keys', () => {
    const cache = new NodeSnapshotCache(meshNodeKey);
    cache.setSnapshots([
      ['*', a],
      ['proxyless', b],
    ]);
    expect(cache.snapshotFor({ id: 'node-1' })).toBe(a);
    expect(cache.snapshotFor({ id: 'c', userAgentName: 'gRPC', metadata: { NAMESPACE: 'qa' } })).toBe(b);
    expect(cache.keyFor({ id: SIDECAR_ID })).toBeUndefined();
    expect(cache.snapshotFor({ id: SIDECAR_ID })).toBeUndefined();
  });

  test('replaceSnapshots drops keys that are gone and notifies once', () => {
    const cache = new NodeSnapshotCache(meshNodeKey);
    let notified = 0;
    cache.onChange(() => notified++);
    cache.setSnapshots([
      ['*', a],
      ['sidecar/shop/reviews-v1-7d9f', b],
    ]);
    expect(cache.snapshotFor({ id: SIDECAR_ID })).toBe(b);
    cache.replaceSnapshots([['*', a]]);
    expect(cache.keys()).toEqual(['*']);
    expect(cache.snapshotFor({ id: SIDECAR_ID })).toBeUndefined();
    expect(notified).toBe(2);
  });
});

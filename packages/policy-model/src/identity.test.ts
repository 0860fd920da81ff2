import { describe, expect, test } from '@jest/globals';
import {
  clusterIdentityRange,
  clusterIdOf,
  isLocalIdentity,
  RangeIdentityAllocator,
  ReservedIdentity,
  reservedIdentities,
} from './identity';
import { LabelSet } from './labels';
import { effectiveNamespaceLabels, endpointIdentityLabels, LabelFilter } from './endpoint-labels';

describe('identities', () => {
  test('reserved identities 1-8 carry reserved labels', () => {
    expect(reservedIdentities().map((i) => `${i.id} ${i.labels.id}`)).toEqual([
      '1 reserved:host',
      '2 reserved:world',
      '3 reserved:unmanaged',
      '4 reserved:health',
      '5 reserved:init',
      '6 reserved:remote-node',
      '7 reserved:kube-apiserver;reserved:remote-node',
      '8 reserved:ingress',
    ]);
    expect(ReservedIdentity.kubeApiServer).toBe(7);
  });

  test('cluster ranges: 256..65535 for cluster 0, N<<16.. for cluster N', () => {
    expect(clusterIdentityRange(0)).toEqual({ min: 256, max: 65535 });
    expect(clusterIdentityRange(3)).toEqual({ min: 3 << 16, max: (4 << 16) - 1 });
    expect(() => clusterIdentityRange(256)).toThrow('cluster ID 256 is outside 0..255');
    expect(
      clusterIdOf(RangeIdentityAllocator.forCluster(7).allocate(LabelSet.parse(['k8s:a=b'])).identity.id),
    ).toBe(7);
  });

  test('allocation is stable while labels are held and freed with the last reference', () => {
    const alloc = RangeIdentityAllocator.forCluster(0);
    const web = LabelSet.parse(['k8s:app=web']);
    const first = alloc.allocate(web);
    expect(first).toEqual({ identity: { id: 256, labels: web }, isNew: true });
    expect(alloc.allocate(LabelSet.parse(['k8s:app=web'])).isNew).toBe(false);
    expect(alloc.allocate(LabelSet.parse(['k8s:app=db'])).identity.id).toBe(257);
    expect(alloc.release(256)).toBe(false);
    expect(alloc.lookup(256)?.labels.id).toBe('k8s:app=web');
    expect(alloc.release(256)).toBe(true);
    expect(alloc.lookupByLabels(web)).toBeUndefined();
    expect(alloc.allocate(LabelSet.parse(['k8s:app=cache'])).identity.id).toBe(256);
  });

  test('local (CIDR) identities set bit 24', () => {
    const alloc = RangeIdentityAllocator.local();
    const id = alloc.allocate(LabelSet.parse(['cidr:10.0.0.0/8'])).identity.id;
    expect(id).toBe((1 << 24) | 1);
    expect(isLocalIdentity(id)).toBe(true);
    expect(clusterIdOf(id)).toBe(0);
  });

  test('a full range says so', () => {
    const alloc = new RangeIdentityAllocator(10, 11);
    alloc.allocate(LabelSet.parse(['a:b']));
    alloc.allocate(LabelSet.parse(['a:c']));
    expect(() => alloc.allocate(LabelSet.parse(['a:d']))).toThrow('identity range 10..11 is exhausted');
  });
});

describe('endpoint identity labels', () => {
  test('pod, namespace, namespace labels, service account and cluster, all k8s-sourced', () => {
    const labels = endpointIdentityLabels({
      namespace: 'shop',
      podLabels: { app: 'web' },
      namespaceLabels: effectiveNamespaceLabels('shop', { team: 'a' }),
      serviceAccount: 'web-sa',
      clusterName: 'c1',
    });
    expect(labels.toStrings()).toEqual([
      'k8s:app=web',
      'k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=shop',
      'k8s:io.cilium.k8s.namespace.labels.team=a',
      'k8s:io.cilium.k8s.policy.cluster=c1',
      'k8s:io.cilium.k8s.policy.serviceaccount=web-sa',
      'k8s:io.kubernetes.pod.namespace=shop',
    ]);
  });

  test("the default filter drops Kubernetes' bookkeeping labels and keeps app.kubernetes.io", () => {
    const filter = new LabelFilter();
    expect(filter.accepts('pod-template-hash')).toBe(false);
    expect(filter.accepts('controller-revision-hash')).toBe(false);
    expect(filter.accepts('io.kubernetes.container.name')).toBe(false);
    expect(filter.accepts('kubernetes.io/hostname')).toBe(false);
    expect(filter.accepts('io.kubernetes.pod.namespace')).toBe(true);
    expect(filter.accepts('app.kubernetes.io/name')).toBe(true);
    expect(filter.accepts('app')).toBe(true);
    const labels = endpointIdentityLabels({
      namespace: 'ns',
      podLabels: { app: 'web', 'pod-template-hash': '5d9f' },
      clusterName: 'default',
    });
    expect(labels.has('k8s', 'pod-template-hash')).toBe(false);
  });
});

import { describe, expect, test } from '@jest/globals';
import { RangeIdentityAllocator } from '@ciliary/policy-model';
import {
  checkExternalWorkload,
  endpointFromExternalWorkload,
  externalWorkloadLabels,
  ExternalWorkloadError,
  registerExternalWorkload,
} from './external-workload';

const vm = {
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumExternalWorkload',
  metadata: { name: 'runner-vm', labels: { app: 'ci-runner', 'io.kubernetes.pod.namespace': 'ci' } },
  spec: { 'ipv4-alloc-cidr': '10.192.1.0/30' },
};

describe('CiliumExternalWorkload', () => {
  test('identity labels as the clustermesh-apiserver gives them: defaults for name and namespace, the cluster', () => {
    expect(externalWorkloadLabels(vm, 'prod').toStrings()).toEqual([
      'k8s:app=ci-runner',
      'k8s:io.cilium.k8s.policy.cluster=prod',
      'k8s:io.kubernetes.pod.name=runner-vm',
      'k8s:io.kubernetes.pod.namespace=ci',
    ]);
    const bare = { ...vm, metadata: { name: 'db-vm' } };
    expect(externalWorkloadLabels(bare).toStrings()).toEqual([
      'k8s:io.cilium.k8s.policy.cluster=default',
      'k8s:io.kubernetes.pod.name=db-vm',
      'k8s:io.kubernetes.pod.namespace=default',
    ]);
  });

  test('registration gives the VM an identity, a CiliumEndpoint, ipcache entries and the status', () => {
    const allocator = RangeIdentityAllocator.forCluster(0);
    const registration = registerExternalWorkload(
      vm,
      { ipAddresses: ['fd00::7', '192.168.77.10'] },
      allocator,
    );
    expect(registration.identity.id).toBe(256);
    expect(registration.status).toEqual({ id: 256, ip: '192.168.77.10' });
    expect(registration.ipcache).toEqual([
      { cidr: 'fd00::7/128', identity: 256, tunnelEndpoint: '192.168.77.10', encryptKey: 0 },
      { cidr: '192.168.77.10/32', identity: 256, tunnelEndpoint: '192.168.77.10', encryptKey: 0 },
    ]);
    expect(registration.ciliumEndpoint).toEqual({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumEndpoint',
      metadata: { name: 'runner-vm', namespace: 'ci', labels: { name: 'runner-vm' } },
      status: {
        id: 1,
        identity: { id: 256, labels: registration.identity.labels.toStrings() },
        networking: {
          addressing: [{ ipv6: 'fd00::7' }, { ipv4: '192.168.77.10' }],
          'node-ip': '192.168.77.10',
        },
        state: 'ready',
      },
    });
    expect(registration.endpoint.ips).toEqual(['192.168.77.10']);
    // Registering again (the VM reconnects) keeps the identity.
    expect(registerExternalWorkload(vm, { ipAddresses: ['192.168.77.10'] }, allocator).identity.id).toBe(256);
  });

  test('a VM without an IPv4 address or with bad alloc CIDRs is refused with the reason', () => {
    const allocator = RangeIdentityAllocator.forCluster(0);
    expect(() => registerExternalWorkload(vm, { ipAddresses: ['fd00::7'] }, allocator)).toThrow(
      new ExternalWorkloadError('runner-vm', 'the VM registered without an IPv4 address'),
    );
    const bad = { ...vm, spec: { 'ipv4-alloc-cidr': 'fd00::/64', 'ipv6-alloc-cidr': '10.0.0.0/8' } };
    expect(checkExternalWorkload(bad)).toEqual([
      '/spec/ipv4-alloc-cidr: "fd00::/64" is an IPv6 CIDR: the egress gateway handles IPv4 only',
      '/spec/ipv6-alloc-cidr: "10.0.0.0/8" is not an IPv6 CIDR',
    ]);
    expect(() => registerExternalWorkload(bad, { ipAddresses: ['10.0.0.1'] }, allocator)).toThrow(
      ExternalWorkloadError,
    );
  });

  test('only a registered VM (status.ip set) is an egress source', () => {
    expect(endpointFromExternalWorkload(vm)).toBeUndefined();
    const registered = { ...vm, status: { id: 256, ip: '192.168.77.10' } };
    expect(endpointFromExternalWorkload(registered)?.ips).toEqual(['192.168.77.10']);
  });
});

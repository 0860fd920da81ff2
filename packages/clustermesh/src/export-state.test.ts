import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { buildExportState, type ExportInput } from './export-state';

const cluster = { name: 'east', id: 2 };

function input(partial: Partial<ExportInput>): ExportInput {
  return {
    services: [],
    endpointSlices: [],
    ciliumNodes: [],
    ciliumIdentities: [],
    ciliumEndpoints: [],
    ...partial,
  };
}

const web: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    namespace: 'shop',
    name: 'web',
    labels: { app: 'web' },
    annotations: { 'io.cilium/global-service': 'TRUE' },
  },
  spec: {
    clusterIP: '10.96.0.10',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  },
};

const slice = (name: string, endpoints: unknown[], port = 8080): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'shop', name, labels: { 'kubernetes.io/service-name': 'web' } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port, protocol: 'TCP' }],
  endpoints,
});

describe('the export state', () => {
  test('a service becomes the ClusterService Cilium writes, with ready backends from every slice', () => {
    const state = buildExportState(
      cluster,
      input({
        services: [web],
        endpointSlices: [
          slice('web-1', [
            { addresses: ['10.2.0.5'], conditions: { ready: true } },
            { addresses: ['10.2.0.6'] },
            { addresses: ['10.2.0.7'], conditions: { ready: false } },
            { addresses: ['10.2.0.8'], conditions: { ready: false, terminating: true } },
          ]),
          slice('web-2', [{ addresses: ['10.2.0.9'], conditions: { ready: true } }], 9090),
        ],
      }),
    );
    expect(state.issues).toEqual([]);
    expect(state.counts.services).toBe(1);
    expect([...state.entries.keys()]).toEqual(['cilium/state/services/v1/east/shop/web']);
    expect(state.entries.get('cilium/state/services/v1/east/shop/web')).toEqual({
      leased: true,
      value:
        '{"cluster":"east","namespace":"shop","name":"web",' +
        '"frontends":{"10.96.0.10":{"dns":{"Protocol":"UDP","Port":53},"http":{"Protocol":"TCP","Port":80}}},' +
        '"backends":{"10.2.0.5":{"http":{"Protocol":"TCP","Port":8080}},"10.2.0.6":{"http":{"Protocol":"TCP","Port":8080}},' +
        '"10.2.0.9":{"http":{"Protocol":"TCP","Port":9090}}},' +
        '"labels":{"app":"web"},"selector":{"app":"web"},"includeExternal":true,"shared":true}',
    });
  });

  test('shared follows global unless set; the 1.13 names win over the 1.12 aliases', () => {
    const svc = (annotations: Record<string, string>): KubeObject => ({
      ...web,
      metadata: { ...web.metadata, annotations },
    });
    const flags = (annotations: Record<string, string>): string => {
      const value = [
        ...buildExportState(cluster, input({ services: [svc(annotations)] })).entries.values(),
      ][0]!.value;
      const parsed = JSON.parse(value) as { includeExternal: boolean; shared: boolean };
      return `${parsed.includeExternal}/${parsed.shared}`;
    };
    expect(flags({})).toBe('false/false');
    expect(flags({ 'service.cilium.io/global': 'true' })).toBe('true/true');
    expect(flags({ 'service.cilium.io/global': 'true', 'service.cilium.io/shared': 'false' })).toBe(
      'true/false',
    );
    expect(flags({ 'io.cilium/global-service': 'true', 'io.cilium/shared-service': 'false' })).toBe(
      'true/false',
    );
    expect(flags({ 'service.cilium.io/global': 'false', 'io.cilium/global-service': 'true' })).toBe(
      'false/false',
    );
  });

  test('nodes, identities (with the cluster label) and ipcache entries', () => {
    const state = buildExportState(
      cluster,
      input({
        ciliumNodes: [
          {
            apiVersion: 'cilium.io/v2',
            kind: 'CiliumNode',
            metadata: { name: 'n1' },
            spec: {
              addresses: [{ type: 'InternalIP', ip: '192.168.2.1' }],
              ipam: { podCIDRs: ['10.2.0.0/24'] },
            },
          },
        ],
        ciliumIdentities: [
          {
            apiVersion: 'cilium.io/v2',
            kind: 'CiliumIdentity',
            metadata: { name: '131073' },
            'security-labels': { 'k8s:app': 'web' },
          },
        ],
        ciliumEndpoints: [
          {
            apiVersion: 'cilium.io/v2',
            kind: 'CiliumEndpoint',
            metadata: { namespace: 'shop', name: 'web-1' },
            status: {
              identity: { id: 131073 },
              networking: { node: '192.168.2.1', addressing: [{ ipv4: '10.2.0.5', ipv6: 'fd00:2::5' }] },
            },
          },
        ],
      }),
    );
    expect(state.issues).toEqual([]);
    expect(state.counts).toEqual({ services: 0, nodes: 1, identities: 1, endpoints: 2 });
    expect(state.entries.get('cilium/state/nodes/v1/east/n1')?.value).toBe(
      '{"Name":"n1","Cluster":"east","IPAddresses":[{"Type":"InternalIP","IP":"192.168.2.1"}],' +
        '"IPv4AllocCIDR":{"IP":"10.2.0.0","Mask":"////AA=="},"IPv4SecondaryAllocCIDRs":null,"IPv6AllocCIDR":null,' +
        '"IPv6SecondaryAllocCIDRs":null,"IPv4HealthIP":"","IPv6HealthIP":"","IPv4IngressIP":"","IPv6IngressIP":"",' +
        '"ClusterID":2,"Source":"custom-resource","EncryptionKey":0,"Labels":null,"NodeIdentity":0,"WireguardPubKey":""}',
    );
    expect(state.entries.get('cilium/state/identities/v1/id/131073')?.value).toBe(
      'k8s:app=web;k8s:io.cilium.k8s.policy.cluster=east;',
    );
    expect(state.entries.get('cilium/state/ip/v1/default/10.2.0.5')?.value).toBe(
      '{"IP":"10.2.0.5","Mask":null,"HostIP":"192.168.2.1","ID":131073,"Key":0,"Metadata":"","K8sNamespace":"shop","K8sPodName":"web-1"}',
    );
    expect(state.entries.has('cilium/state/ip/v1/default/fd00:2::5')).toBe(true);
  });

  test('identities outside the cluster range and broken objects are reported, not exported', () => {
    const state = buildExportState(
      cluster,
      input({
        ciliumIdentities: [
          {
            apiVersion: 'cilium.io/v2',
            kind: 'CiliumIdentity',
            metadata: { name: '65536' },
            'security-labels': { 'k8s:a': 'b' },
          },
          { apiVersion: 'cilium.io/v2', kind: 'CiliumIdentity', metadata: { name: 'abc' } },
        ],
        services: [
          {
            ...web,
            spec: { clusterIP: '10.96.0.300', ports: [{ port: 0 }, { port: 80, protocol: 'ICMP' }] },
          },
        ],
      }),
    );
    expect(state.issues.map((i) => `${i.document}: ${i.path}: ${i.message}`)).toEqual([
      'Service shop/web: /spec/clusterIP: "10.96.0.300" is not an IP address',
      'Service shop/web: /spec/ports/0/port: must be a port number from 1 to 65535',
      'Service shop/web: /spec/ports/1/protocol: unsupported protocol "ICMP"; expected TCP, UDP or SCTP',
      "CiliumIdentity 65536: /metadata/name: identity 65536 is outside cluster east's range 131072-196607 (cluster ID 2)",
      'CiliumIdentity abc: /metadata/name: must be the numeric identity',
    ]);
    expect([...state.entries.keys()].some((k) => k.includes('identities'))).toBe(false);
  });
});

import { describe, expect, test } from '@jest/globals';
import { decodeClusterConfig, encodeClusterConfig, rfc3339 } from './formats/cluster-config';
import { compareUtf8, goStringMap } from './go-json';
import { formatLabelsForKvstore, labelsFromSecurityLabels, parseKvstoreLabels } from './formats/identity';
import { decodeIpcacheEntry, encodeIpcacheEntry } from './formats/ipcache';
import { decodeClusterNode, encodeClusterNode, type ClusterNode } from './formats/node';
import {
  decodeClusterService,
  encodeClusterService,
  type ClusterService,
  type PortConfiguration,
} from './formats/service';

const service: ClusterService = {
  cluster: 'c1',
  namespace: 'default',
  name: 'foo',
  frontends: new Map([['172.20.0.177', { port: { protocol: 'TCP', port: 80 } }]]),
  backends: new Map<string, PortConfiguration>([
    ['10.0.185.196', { http: { protocol: 'TCP', port: 80 } }],
    ['10.0.0.9', { http: { protocol: 'TCP', port: 80 }, dns: { protocol: 'UDP', port: 53 } }],
  ]),
  labels: {},
  selector: { name: 'foo' },
  includeExternal: true,
  shared: true,
};

describe('service values', () => {
  test('are written as Go marshals ClusterService: declared field order, sorted maps, untagged L4Addr', () => {
    expect(encodeClusterService(service)).toBe(
      '{"cluster":"c1","namespace":"default","name":"foo",' +
        '"frontends":{"172.20.0.177":{"port":{"Protocol":"TCP","Port":80}}},' +
        '"backends":{"10.0.0.9":{"dns":{"Protocol":"UDP","Port":53},"http":{"Protocol":"TCP","Port":80}},' +
        '"10.0.185.196":{"http":{"Protocol":"TCP","Port":80}}},' +
        '"labels":{},"selector":{"name":"foo"},"includeExternal":true,"shared":true}',
    );
  });

  test('round-trip', () => {
    const decoded = decodeClusterService(encodeClusterService(service), 'k');
    expect(decoded).toEqual({ ok: true, value: service });
  });

  test("read Cilium's own test value, whose field names differ in case", () => {
    // The value pkg/clustermesh/services_test.go writes; Go matches field names without case.
    const text =
      '{"cluster":"cm1","namespace":"default","name":"foo","frontends":{"172.20.0.177":{"port":{"protocol":"TCP","port":80}}},' +
      '"backends":{"10.0.185.196":{"http":{"protocol":"TCP","port":80}}},"labels":{},"selector":{"name":"foo"},"shared":true,"includeExternal":true}';
    const decoded = decodeClusterService(text, 'k');
    expect(decoded.ok && decoded.value.backends.get('10.0.185.196')).toEqual({
      http: { protocol: 'TCP', port: 80 },
    });
  });

  test('report every problem with its path', () => {
    const decoded = decodeClusterService(
      '{"cluster":"","namespace":"ns","frontends":{"not-an-ip":{}},"backends":{"10.0.0.1":{"http":{"Protocol":"ICMP","Port":70000}}}}',
      'cilium/state/services/v1/x/ns/y',
    );
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      '/frontends/not-an-ip: "not-an-ip" is not an IP address',
      '/backends/10.0.0.1/http/Port: must be an integer from 0 to 65535, got 70000',
      '/backends/10.0.0.1/http/Protocol: unknown protocol "ICMP"; expected one of TCP, UDP, SCTP, ANY, NONE',
      '/cluster: cluster is unset',
      '/name: name is unset',
    ]);
    expect(decoded.issues[0]?.document).toBe('cilium/state/services/v1/x/ns/y');
  });

  test('strings are escaped as Go escapes them', () => {
    const text = encodeClusterService({ ...service, labels: { a: '<b>&"\u2028\u0001\b' } });
    expect(text).toContain('"labels":{"a":"\\u003cb\\u003e\\u0026\\"\\u2028\\u0001\\u0008"}');
  });

  test('not JSON is reported, not thrown', () => {
    expect(decodeClusterService('{', 'k').ok).toBe(false);
  });
});

describe('node values', () => {
  const node: ClusterNode = {
    name: 'node1',
    cluster: 'c1',
    ipAddresses: [
      { type: 'InternalIP', ip: '192.168.1.10' },
      { type: 'CiliumInternalIP', ip: 'fd00::0:1' },
    ],
    ipv4AllocCidr: '10.1.0.0/24',
    ipv6AllocCidr: 'fd00:1::/64',
    ipv4HealthIp: '10.1.0.5',
    clusterId: 1,
    source: 'custom-resource',
    encryptionKey: 0,
    labels: { 'kubernetes.io/hostname': 'node1' },
    nodeIdentity: 0,
    wireguardPubKey: '',
  };

  test('are written as Go marshals node.Node', () => {
    expect(encodeClusterNode(node)).toBe(
      '{"Name":"node1","Cluster":"c1","IPAddresses":[{"Type":"InternalIP","IP":"192.168.1.10"},{"Type":"CiliumInternalIP","IP":"fd00::1"}],' +
        '"IPv4AllocCIDR":{"IP":"10.1.0.0","Mask":"////AA=="},"IPv4SecondaryAllocCIDRs":null,' +
        '"IPv6AllocCIDR":{"IP":"fd00:1::","Mask":"//////////8AAAAAAAAAAA=="},"IPv6SecondaryAllocCIDRs":null,' +
        '"IPv4HealthIP":"10.1.0.5","IPv6HealthIP":"","IPv4IngressIP":"","IPv6IngressIP":"",' +
        '"ClusterID":1,"Source":"custom-resource","EncryptionKey":0,"Labels":{"kubernetes.io/hostname":"node1"},' +
        '"NodeIdentity":0,"WireguardPubKey":""}',
    );
  });

  test('round-trip, with addresses in canonical form', () => {
    const decoded = decodeClusterNode(encodeClusterNode(node), 'k');
    expect(decoded).toEqual({
      ok: true,
      value: { ...node, ipAddresses: [node.ipAddresses[0], { type: 'CiliumInternalIP', ip: 'fd00::1' }] },
    });
  });

  test('a netmask that does not fit is reported', () => {
    const decoded = decodeClusterNode(
      '{"Name":"n","IPv4AllocCIDR":{"IP":"10.0.0.0","Mask":"/wD/AA=="}}',
      'k',
    );
    expect(decoded.ok ? [] : decoded.issues.map((i) => i.path)).toEqual(['/IPv4AllocCIDR/Mask']);
  });
});

describe('ipcache values', () => {
  test('are written as Go marshals IPIdentityPair, omitting empty omitempty fields', () => {
    expect(
      encodeIpcacheEntry({
        ip: '10.1.0.7',
        hostIp: '192.168.1.10',
        identity: 65_600,
        key: 0,
        metadata: '',
        namespace: 'default',
        podName: 'web-1',
      }),
    ).toBe(
      '{"IP":"10.1.0.7","Mask":null,"HostIP":"192.168.1.10","ID":65600,"Key":0,"Metadata":"","K8sNamespace":"default","K8sPodName":"web-1"}',
    );
    expect(encodeIpcacheEntry({ ip: '10.2.0.0', prefixLength: 16, identity: 2, key: 0, metadata: '' })).toBe(
      '{"IP":"10.2.0.0","Mask":"//8AAA==","HostIP":"","ID":2,"Key":0,"Metadata":""}',
    );
  });

  test('round-trip', () => {
    const entry = {
      ip: 'fd00::7',
      hostIp: '192.168.1.10',
      identity: 70_000,
      key: 3,
      metadata: 'm',
      namespace: 'ns',
      podName: 'p',
      namedPorts: [{ name: 'http', port: 80, protocol: 'TCP' }],
    };
    expect(decodeIpcacheEntry(encodeIpcacheEntry(entry), 'k')).toEqual({ ok: true, value: entry });
  });
});

describe('identity values', () => {
  test('are the labels sorted by key, each as source:key=value;', () => {
    const labels = labelsFromSecurityLabels({
      'k8s:io.kubernetes.pod.namespace': 'default',
      'k8s:app': 'web',
      'k8s:io.cilium.k8s.policy.cluster': 'c1',
      $host: '',
    });
    expect(formatLabelsForKvstore(labels)).toBe(
      'k8s:app=web;reserved:host=;k8s:io.cilium.k8s.policy.cluster=c1;k8s:io.kubernetes.pod.namespace=default;',
    );
    expect(parseKvstoreLabels(formatLabelsForKvstore(labels), 'k')).toEqual({
      ok: true,
      value: [
        { source: 'k8s', key: 'app', value: 'web' },
        { source: 'reserved', key: 'host', value: '' },
        { source: 'k8s', key: 'io.cilium.k8s.policy.cluster', value: 'c1' },
        { source: 'k8s', key: 'io.kubernetes.pod.namespace', value: 'default' },
      ],
    });
  });

  test('malformed labels are reported', () => {
    expect(parseKvstoreLabels('k8s:app=web', 'k').ok).toBe(false);
    expect(parseKvstoreLabels('nolabel;', 'k').ok).toBe(false);
  });
});

describe('Go ordering', () => {
  test('map keys sort by UTF-8 bytes: a character above U+FFFF after one from U+E000', () => {
    const keys = ['b', '\u{1F600}', '\uFF01', 'a', 'é'];
    expect(goStringMap(Object.fromEntries(keys.map((k) => [k, ''])))).toBe(
      '{"a":"","b":"","é":"","\uFF01":"","\u{1F600}":""}',
    );
    expect(['\u{1F600}', '\uFF01'].sort(compareUtf8)).toEqual(['\uFF01', '\u{1F600}']);
  });
});

describe('cluster config and markers', () => {
  test('cluster config is written as Cilium writes it', () => {
    expect(encodeClusterConfig({ id: 7, syncedCanaries: true })).toBe(
      '{"id":7,"capabilities":{"syncedCanaries":true}}',
    );
    expect(decodeClusterConfig('{"id":7,"capabilities":{"syncedCanaries":true}}', 'k')).toEqual({
      ok: true,
      value: { id: 7, syncedCanaries: true },
    });
  });

  test('timestamps follow RFC 3339 without fractions', () => {
    expect(rfc3339(Date.UTC(2024, 0, 2, 3, 4, 5, 678))).toBe('2024-01-02T03:04:05Z');
  });
});

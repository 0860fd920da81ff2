import { beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { buildServiceMeshSnapshots } from '../mesh';
import { EnvoyCodec } from '../envoy/codec';
import { TypeUrls } from '../envoy/type-urls';
import { envoyResourceTypes } from '../resources/resource-types';
import { portProtocol } from './protocol';
import { readMeshPods, targetPortOf } from './pods';

function service(
  name: string,
  clusterIP: string,
  ports: unknown[],
  selector?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'shop' },
    spec: { clusterIP, ports, ...(selector ? { selector } : {}) },
  };
}

const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' } },
  spec: { containers: [{ name: 'web', ports: [{ name: 'http', containerPort: 8080 }] }] },
};

let codec: EnvoyCodec;
beforeAll(() => {
  codec = EnvoyCodec.load();
});

describe('port protocols', () => {
  test('appProtocol, then the name convention; an attached route makes a port HTTP', () => {
    const port = (name: string, appProtocol?: string) => ({
      name,
      port: 80,
      protocol: 'TCP',
      ...(appProtocol ? { appProtocol } : {}),
    });
    expect(portProtocol(port('grpc-api'), false)).toBe('http');
    expect(portProtocol(port('http'), false)).toBe('http');
    expect(portProtocol(port('postgres'), false)).toBe('tcp');
    expect(portProtocol(port('web', 'kubernetes.io/h2c'), false)).toBe('http');
    expect(portProtocol(port('http', 'mysql'), false)).toBe('tcp');
    expect(portProtocol(port('postgres'), true)).toBe('http');
  });
});

describe('pods', () => {
  test('named target ports resolve against container ports; host-network pods get no sidecar', () => {
    const [web] = readMeshPods([
      pod,
      { ...pod, metadata: { name: 'h', namespace: 'shop' }, spec: { hostNetwork: true } },
    ]);
    expect(web?.name).toBe('web-1');
    const http = { name: 'http', port: 80, protocol: 'TCP' };
    expect(targetPortOf({ ...http, targetPort: 'http' }, web!)).toBe(8080);
    expect(targetPortOf({ ...http, targetPort: 'metrics' }, web!)).toBeUndefined();
    expect(targetPortOf(http, web!)).toBe(80);
  });
});

describe('sidecar snapshots', () => {
  test('a Service with broken routes loses its own filter chain, not the whole outbound listener', () => {
    const result = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
      services: [
        service('web', '10.96.0.1', [{ name: 'http', port: 80, targetPort: 'http' }], { app: 'web' }),
        service('dns', '10.96.0.2', [
          { name: 'http', port: 80 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ]),
      ],
      routes: [
        {
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'to-udp', namespace: 'shop' },
          // Port 53 of dns exists, but only as UDP: no cluster serves it.
          spec: {
            parentRefs: [{ group: '', kind: 'Service', name: 'dns', port: 80 }],
            rules: [{ backendRefs: [{ name: 'dns', port: 53 }] }],
          },
        },
      ],
      pods: [pod],
    });
    const sidecar = result.sidecars.get('sidecar/shop/web-1')!;
    const outbound = sidecar.resource(TypeUrls.listener, 'outbound')!.json;
    const chains = (outbound['filterChains'] as Array<{ name: string }>).map((c) => c.name);
    expect(chains).toEqual(['outbound/shop/web:80']);
    expect(result.issues.map((i) => [i.document, i.message])).toContainEqual([
      'Service shop/dns',
      'refers to CDS resource "shop/dns:53", which nothing provides',
    ]);
    expect(result.issues.every((i) => !i.document?.startsWith('sidecar outbound listener'))).toBe(true);
    const inbound = sidecar.resource(TypeUrls.listener, 'inbound')!.json;
    expect((inbound['filterChains'] as Array<{ name: string }>).map((c) => c.name)).toEqual(['inbound/8080']);
  });
});

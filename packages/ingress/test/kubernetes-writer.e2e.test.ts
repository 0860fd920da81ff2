import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, type KubeObject } from '@ciliary/core';
import { FakeKubeApiServer } from '@ciliary/testing';
import { EventKind } from '../src';
import { KubernetesClusterWriter, KubernetesWriteError } from '../src/kubernetes';

// The writer through the real @kubernetes/client-node against the API server double over HTTP.
const server = new FakeKubeApiServer([
  Kinds.Ingress,
  Kinds.Service,
  Kinds.Endpoints,
  Kinds.Secret,
  Kinds.CiliumEnvoyConfig,
  EventKind,
]);
let dir: string;
let writer: KubernetesClusterWriter;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ciliary-ingress-writer-'));
  await server.start();
  writer = new KubernetesClusterWriter({ kubeconfig: await server.writeKubeconfig(dir) });
});

afterAll(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

const lbService = (ports: Array<Record<string, unknown>>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'cilium-ingress-web', namespace: 'shop', labels: { 'cilium.io/ingress': 'true' } },
  spec: { type: 'LoadBalancer', ports },
});

describe('KubernetesClusterWriter', () => {
  test('apply creates, then merges into the existing object, keeping fields others set', async () => {
    await writer.apply(lbService([{ name: 'http', port: 80, protocol: 'TCP' }]));
    const created = server.get(Kinds.Service, 'shop', 'cilium-ingress-web')!;
    expect(created.metadata.uid).toMatch(/^fake-uid-/);
    server.apply(Kinds.Service, {
      ...created,
      metadata: {
        ...created.metadata,
        annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
      },
    });
    await writer.apply(
      lbService([
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ]),
    );
    const updated = server.get(Kinds.Service, 'shop', 'cilium-ingress-web')!;
    expect((updated['spec'] as { ports: unknown[] }).ports).toHaveLength(2);
    expect(updated.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(server.writes.filter((w) => w.includes('cilium-ingress-web') || w.endsWith('/services'))).toEqual([
      'PATCH /api/v1/namespaces/shop/services/cilium-ingress-web',
      'POST /api/v1/namespaces/shop/services',
      'PATCH /api/v1/namespaces/shop/services/cilium-ingress-web',
    ]);
  });

  test('custom resources: a CiliumEnvoyConfig is created and listed by label', async () => {
    await writer.apply({
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumEnvoyConfig',
      metadata: {
        name: 'cilium-ingress-shop-web',
        namespace: 'shop',
        labels: { 'cilium.io/ingress': 'true' },
      },
      spec: {
        services: [{ name: 'cilium-ingress-web', namespace: 'shop', listener: 'listener' }],
        resources: [],
      },
    });
    server.apply(Kinds.CiliumEnvoyConfig, {
      apiVersion: 'cilium.io/v2',
      kind: 'CiliumEnvoyConfig',
      metadata: { name: 'unrelated', namespace: 'shop' },
      spec: {},
    });
    const listed = await writer.list(Kinds.CiliumEnvoyConfig, 'cilium.io/ingress=true');
    expect(listed.map((o) => [o.apiVersion, o.kind, o.metadata.name])).toEqual([
      ['cilium.io/v2', 'CiliumEnvoyConfig', 'cilium-ingress-shop-web'],
    ]);
  });

  test('delete removes; deleting what is gone is not an error', async () => {
    await writer.delete(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web');
    expect(server.get(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web')).toBeUndefined();
    await expect(
      writer.delete(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web'),
    ).resolves.toBeUndefined();
  });

  test('Ingress status through the status subresource; spec untouched; a missing Ingress is fine', async () => {
    server.apply(Kinds.Ingress, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'shop' },
      spec: { ingressClassName: 'cilium' },
      status: { loadBalancer: {} },
    });
    await writer.setIngressStatus('shop', 'web', [{ ip: '172.18.0.100' }]);
    expect(server.get(Kinds.Ingress, 'shop', 'web')).toMatchObject({
      spec: { ingressClassName: 'cilium' },
      status: { loadBalancer: { ingress: [{ ip: '172.18.0.100' }] } },
    });
    await writer.setIngressStatus('shop', 'web', []);
    expect(server.get(Kinds.Ingress, 'shop', 'web')?.['status']).toEqual({ loadBalancer: {} });
    await expect(writer.setIngressStatus('shop', 'gone', [])).resolves.toBeUndefined();
    expect(server.writes).toContain('PATCH /apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status');
  });

  test('Events are created once; a second create of the same Event is not an error', async () => {
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'web.abc', namespace: 'shop' },
      involvedObject: { kind: 'Ingress', name: 'web', namespace: 'shop' },
      reason: 'ServiceNotFound',
      message: 'Service shop/echo not found',
      type: 'Warning',
    };
    await writer.createEvent(event);
    await writer.createEvent(event);
    expect(server.list(EventKind).map((e) => e['reason'])).toEqual(['ServiceNotFound']);
  });

  test('a failing API server surfaces as a typed error naming the operation and status', async () => {
    server.failRequests((method) => method === 'PATCH', 1, 503);
    const error = await writer.apply(lbService([])).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(KubernetesWriteError);
    expect(error).toMatchObject({ code: 503, operation: 'apply Service shop/cilium-ingress-web' });
    expect((error as Error).message).toContain('injected failure');
  });
});

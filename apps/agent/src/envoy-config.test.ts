import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { EnvoyCodec, envoyResourceTypes, TypeUrls } from '@ciliary/service-mesh-translator';
import { computeEnvoyConfig, type EnvoyConfigInput } from './envoy-config';

const codec = EnvoyCodec.load();
const registry = envoyResourceTypes();

function cec(name: string, connectTimeout: string, resourceVersion: string): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEnvoyConfig',
    metadata: { name, namespace: 'shop', resourceVersion },
    spec: { resources: [{ '@type': TypeUrls.cluster, name: 'upstream', connectTimeout }] },
  };
}

function secret(name: string, namespace: string, data: Record<string, string>): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name, namespace }, data };
}

function input(envoyConfigs: KubeObject[], secrets: KubeObject[] = []): EnvoyConfigInput {
  return {
    envoyConfigs,
    services: [],
    endpointSlices: [],
    secrets,
    gatewayClasses: [],
    gateways: [],
    routes: [],
    referenceGrants: [],
    namespaces: [],
  };
}

const timeoutOf = (result: ReturnType<typeof computeEnvoyConfig>): unknown =>
  (
    result.snapshots.envoy.resource(TypeUrls.cluster, 'shop/edge/upstream')?.json as Record<string, unknown>
  )?.['connectTimeout'];

describe('computeEnvoyConfig', () => {
  test('a CEC update with problems keeps the previous version, and the problems are reported', () => {
    const good = computeEnvoyConfig(codec, registry, input([cec('edge', '2s', '1')]), 'cilium-secrets');
    expect(good.issues).toEqual([]);
    expect(timeoutOf(good)).toBe('2s');
    expect([...good.lastGood.keys()]).toEqual(['CiliumEnvoyConfig shop/edge']);

    const bad = computeEnvoyConfig(
      codec,
      registry,
      input([cec('edge', 'soon', '2')]),
      'cilium-secrets',
      good.lastGood,
    );
    expect(timeoutOf(bad)).toBe('2s');
    expect(bad.heldBack).toEqual([{ document: 'CiliumEnvoyConfig shop/edge', servedVersion: '1' }]);
    expect(bad.issues).toEqual([
      expect.objectContaining({
        document: 'CiliumEnvoyConfig shop/edge',
        path: expect.stringContaining('connectTimeout'),
      }),
    ]);

    // Fixed: the new version is served and becomes the one to fall back to.
    const fixed = computeEnvoyConfig(
      codec,
      registry,
      input([cec('edge', '3s', '3')]),
      'cilium-secrets',
      bad.lastGood,
    );
    expect([timeoutOf(fixed), fixed.heldBack, fixed.issues]).toEqual(['3s', [], []]);
  });

  test('a CEC that never worked is left out; a deleted one is forgotten', () => {
    const broken = computeEnvoyConfig(codec, registry, input([cec('edge', 'soon', '1')]), 'cilium-secrets');
    expect(timeoutOf(broken)).toBeUndefined();
    expect(broken.heldBack).toEqual([]);
    expect(broken.issues).toHaveLength(1);
    const good = computeEnvoyConfig(codec, registry, input([cec('edge', '2s', '2')]), 'cilium-secrets');
    expect(
      computeEnvoyConfig(codec, registry, input([]), 'cilium-secrets', good.lastGood).lastGood.size,
    ).toBe(0);
  });

  test('TLS Secrets of the secrets namespace are served over SDS; incomplete ones are reported', () => {
    const result = computeEnvoyConfig(
      codec,
      registry,
      input(
        [],
        [
          secret('shop-web', 'cilium-secrets', { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' }),
          secret('shop-half', 'cilium-secrets', { 'tls.crt': 'Y3J0' }),
          secret('web', 'shop', { 'tls.crt': 'Y3J0', 'tls.key': 'a2V5' }),
        ],
      ),
      'cilium-secrets',
    );
    expect([...result.snapshots.envoy.resources(TypeUrls.secret).keys()]).toEqual([
      'cilium-secrets/shop-web',
    ]);
    expect(result.issues).toEqual([
      {
        document: 'Secret cilium-secrets/shop-half',
        path: '/data/tls.key',
        message: 'TLS Secret has no tls.key; it is not served over SDS',
      },
    ]);
  });
});

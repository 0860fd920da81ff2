import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { parseEnvoyConfig } from './model';
import { qualifiedName } from './qualify';

function cec(spec: unknown, kind = 'CiliumEnvoyConfig', namespace: string | undefined = 'shop'): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind,
    metadata: { name: 'lb', ...(namespace ? { namespace } : {}) },
    spec,
  };
}

describe('parseEnvoyConfig', () => {
  test('a CEC forces frontend services into its namespace and defaults backends to it', () => {
    const result = parseEnvoyConfig(
      cec({
        services: [{ name: 'web', namespace: 'elsewhere', listener: 'l' }],
        backendServices: [
          { name: 'api', number: ['80', 'http'] },
          { name: 'db', namespace: 'data' },
        ],
      }),
    );
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        namespace: 'shop',
        document: 'CiliumEnvoyConfig shop/lb',
        services: [{ name: 'web', namespace: 'shop', listener: 'l' }],
        backendServices: [
          { name: 'api', namespace: 'shop', ports: ['80', 'http'] },
          { name: 'db', namespace: 'data', ports: [] },
        ],
      }),
    });
  });

  test('a CCEC defaults both namespaces to default and keeps a given frontend namespace', () => {
    const result = parseEnvoyConfig(
      cec(
        {
          services: [{ name: 'web' }, { name: 'x', namespace: 'other' }],
          backendServices: [{ name: 'api' }],
        },
        'CiliumClusterwideEnvoyConfig',
        undefined,
      ),
    );
    expect(result.ok && result.value.namespace).toBe('');
    expect(result.ok && result.value.services.map((s) => s.namespace)).toEqual(['default', 'other']);
    expect(result.ok && result.value.backendServices[0]!.namespace).toBe('default');
  });

  test('every problem is reported with the document and its JSON path', () => {
    const result = parseEnvoyConfig(
      cec({
        services: [{ namespace: 'x' }, 'web'],
        backendServices: [{ name: 'Api_1', number: [80] }],
        resources: [{ '@type': 'type.googleapis.com/envoy.config.core.v3.Node' }, { name: 'no-type' }],
        extra: true,
      }),
      'cec.yaml:1',
    );
    expect(result).toEqual({
      ok: false,
      issues: [
        { document: 'cec.yaml:1', path: '/spec/extra', message: 'unknown field' },
        { document: 'cec.yaml:1', path: '/spec/services/0/name', message: 'is required' },
        { document: 'cec.yaml:1', path: '/spec/services/1', message: 'must be an object' },
        {
          document: 'cec.yaml:1',
          path: '/spec/backendServices/0/name',
          message: '"Api_1" is not a valid name (a DNS label: lower-case letters, digits, \'-\')',
        },
        {
          document: 'cec.yaml:1',
          path: '/spec/backendServices/0/number/0',
          message: 'must be a string (quote port numbers)',
        },
        {
          document: 'cec.yaml:1',
          path: '/spec/resources/0/@type',
          message:
            'Unsupported type: type.googleapis.com/envoy.config.core.v3.Node (a CEC carries Listener, RouteConfiguration, Cluster, ClusterLoadAssignment or Secret)',
        },
        { document: 'cec.yaml:1', path: '/spec/resources/1/@type', message: 'is required' },
      ],
    });
  });
});

describe('qualifiedName (Cilium 1.14+ rules)', () => {
  test('plain names become NAMESPACE/CEC/NAME; empty names stay empty', () => {
    expect(qualifiedName('shop', 'lb', 'route')).toBe('shop/lb/route');
    expect(qualifiedName('shop', 'lb', '')).toBe('');
    expect(qualifiedName('', 'global', 'route')).toBe('/global/route');
  });

  test('names with a slash pass through unless forced and in another namespace', () => {
    expect(qualifiedName('shop', 'lb', 'shop/api:80')).toBe('shop/api:80');
    expect(qualifiedName('shop', 'lb', 'other/api:80')).toBe('other/api:80');
    expect(qualifiedName('shop', 'lb', 'shop/listener', true)).toBe('shop/listener');
    expect(qualifiedName('shop', 'lb', 'other/listener', true)).toBe('shop/lb/other/listener');
    expect(qualifiedName('shop', 'lb', 'shopping/listener', true)).toBe('shop/lb/shopping/listener');
  });
});

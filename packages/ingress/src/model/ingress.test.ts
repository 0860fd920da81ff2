import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { parseIngress, pathProblem } from './ingress';

function object(spec: unknown, annotations?: Record<string, string>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

const svc = (name: string, port: unknown): unknown => ({ service: { name, port } });

describe('parseIngress', () => {
  test('reads rules, paths, backends by number or name, TLS and the default backend', () => {
    const result = parseIngress(
      object({
        defaultBackend: svc('fallback', { number: 80 }),
        rules: [
          {
            host: '*.foo.com',
            http: { paths: [{ path: '/a', pathType: 'Exact', backend: svc('a', { name: 'http' }) }] },
          },
          { http: { paths: [{ pathType: 'ImplementationSpecific', backend: svc('b', { number: 8080 }) }] } },
        ],
        tls: [{ hosts: ['*.foo.com'], secretName: 'cert' }],
      }),
    );
    expect(result).toEqual({
      ok: true,
      value: expect.objectContaining({
        namespace: 'shop',
        name: 'web',
        defaultBackend: { namespace: 'shop', service: 'fallback', port: 80 },
        rules: [
          {
            host: '*.foo.com',
            paths: [
              {
                path: '/a',
                pathType: 'Exact',
                backend: { namespace: 'shop', service: 'a', port: 'http' },
                at: '/spec/rules/0/http/paths/0',
              },
            ],
          },
          {
            host: undefined,
            paths: [
              {
                path: '/',
                pathType: 'ImplementationSpecific',
                backend: { namespace: 'shop', service: 'b', port: 8080 },
                at: '/spec/rules/1/http/paths/0',
              },
            ],
          },
        ],
        tls: [{ hosts: ['*.foo.com'], secretName: 'cert', at: '/spec/tls/0' }],
      }),
    });
  });

  test('collects every problem with its document and JSON path', () => {
    const result = parseIngress(
      object(
        {
          rules: [
            {
              host: 'Foo.com',
              http: {
                paths: [
                  { path: 'relative', pathType: 'Prefix', backend: svc('a', { number: 80 }) },
                  { path: '/x', backend: svc('a', { number: 70000 }) },
                  { path: '/y', pathType: 'Regex', backend: svc('a', { number: 80, name: 'http' }) },
                  { path: '/z', pathType: 'Exact', backend: { resource: { kind: 'Bucket', name: 'b' } } },
                ],
              },
            },
            { host: 'a.*.com' },
          ],
          tls: [{ hosts: ['10.0.0.1'] }],
        },
        { 'ingress.cilium.io/loadbalancer-mode': 'cheap' },
      ),
      'ingress.yaml:1',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => `${i.document} ${i.path}: ${i.message}`)).toEqual([
      'ingress.yaml:1 /metadata/annotations/ingress.cilium.io~1loadbalancer-mode: "cheap" is not one of dedicated, shared',
      "ingress.yaml:1 /spec/rules/0/host: \"Foo.com\" is not a valid DNS name (lower-case letters, digits, '-' and '.', labels of at most 63 characters)",
      'ingress.yaml:1 /spec/rules/0/http/paths/0/path: "relative" must be an absolute path (start with \'/\')',
      'ingress.yaml:1 /spec/rules/0/http/paths/1/pathType: is required (Exact, Prefix or ImplementationSpecific)',
      'ingress.yaml:1 /spec/rules/0/http/paths/1/backend/service/port/number: must be a port number between 1 and 65535, not 70000',
      'ingress.yaml:1 /spec/rules/0/http/paths/2/pathType: "Regex" is not Exact, Prefix or ImplementationSpecific',
      'ingress.yaml:1 /spec/rules/0/http/paths/2/backend/service/port: must give either a number or a name, not both',
      'ingress.yaml:1 /spec/rules/0/http/paths/3/backend/resource: resource backends are not supported; use a Service backend',
      'ingress.yaml:1 /spec/rules/1/host: "a.*.com" may only have a wildcard as its whole first label ("*.example.com")',
      'ingress.yaml:1 /spec/tls/0/hosts/0: "10.0.0.1" must be a DNS name, not an IP address or host:port',
    ]);
  });

  test('an Ingress with neither rules nor a default backend is refused', () => {
    const result = parseIngress(object({}));
    expect(result).toEqual({
      ok: false,
      issues: [
        {
          document: 'Ingress shop/web',
          path: '/spec',
          message: 'needs rules or a defaultBackend, or it routes nothing',
        },
      ],
    });
  });

  test.each([
    ['/a//b', "must not contain '//'"],
    ['/a/./b', "must not contain '/./'"],
    ['/a/../b', "must not contain '/../'"],
    ['/a%2Fb', "must not contain '%2F'"],
    ['/a/..', "must not end with '/.' or '/..'"],
    ['/a?b=1', "contains '?' or '#'"],
  ])('path %s is refused', (path, message) => {
    expect(pathProblem(path)).toContain(message);
  });

  test('annotations: service type, node ports, force-https and keep-alive, with aliases', () => {
    const result = parseIngress(
      object(
        { defaultBackend: svc('a', { number: 80 }) },
        {
          'io.cilium.ingress/service-type': 'NodePort',
          'ingress.cilium.io/insecure-node-port': '30080',
          'ingress.cilium.io/force-https': 'disabled',
          'io.cilium/tcp-keep-alive-idle': '30',
        },
      ),
    );
    expect(result.ok && result.value.options).toEqual({
      loadBalancerMode: undefined,
      serviceType: 'NodePort',
      insecureNodePort: 30080,
      secureNodePort: undefined,
      forceHttps: false,
      keepAlive: { enabled: true, idleSeconds: 30, probeIntervalSeconds: 5, probeMaxFailures: 10 },
    });
  });
});

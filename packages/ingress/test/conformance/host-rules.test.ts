import { beforeAll, describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { selfSignedCertificate } from '../support/certificates';
import { tlsSecret } from '../support/objects';
import { featureManifests, routeFeature, servedBy } from './support';

// ingress-controller-conformance, features/host_rules.feature: every scenario, with the
// suite's self-signed TLS secret for foo.bar.com.
let objects: KubeObject[];

beforeAll(() => {
  const { crt, key } = selfSignedCertificate('foo.bar.com');
  objects = [...featureManifests('host-rules'), tlsSecret('conformance-tls', crt, key, 'conformance')];
});

describe('conformance: host rules', () => {
  test('host foo.bar.com matches HTTPS request foo.bar.com, and the certificate verifies foo.bar.com', () => {
    const [result] = routeFeature(objects, ['GET https://foo.bar.com']);
    expect(result).toMatchObject({
      status: 200,
      backend: 'conformance/foo-bar-com:http',
      tls: { certificate: 'cilium-secrets/conformance-conformance-tls', hostVerified: true },
    });
    expect(servedBy(result!)).toBe('foo-bar-com');
  });

  test('host foo.bar.com matches request foo.bar.com', () => {
    const [result] = routeFeature(objects, ['GET http://foo.bar.com']);
    expect({ status: result!.status, service: servedBy(result!) }).toEqual({
      status: 200,
      service: 'foo-bar-com',
    });
    expect(result!.endpoint).toBe('10.0.2.20:3000');
  });

  test('host foo.bar.com does not match request subdomain.bar.com', () => {
    expect(routeFeature(objects, ['GET http://subdomain.bar.com'])[0]).toMatchObject({
      status: 404,
      backend: null,
    });
  });

  test('wildcard *.foo.com matches request bar.foo.com (shared suffix)', () => {
    const [result] = routeFeature(objects, ['GET http://bar.foo.com']);
    expect({ status: result!.status, service: servedBy(result!) }).toEqual({
      status: 200,
      service: 'wildcard-foo-com',
    });
  });

  test('wildcard *.foo.com does not match baz.bar.foo.com (one DNS label only)', () => {
    expect(routeFeature(objects, ['GET http://baz.bar.foo.com'])[0]).toMatchObject({
      status: 404,
      backend: null,
    });
  });

  test('wildcard *.foo.com matches bar.foo.com with a port in the Host header', () => {
    const [explicit] = routeFeature(objects, ['GET http://bar.foo.com:80/']);
    const [other] = routeFeature(objects, ['GET http://x/'], { headers: [['host', 'bar.foo.com:8080']] });
    for (const result of [explicit!, other!]) {
      expect(result.status).toBe(200);
      expect(servedBy(result)).toBe('wildcard-foo-com');
    }
  });

  test('wildcard *.foo.com does not match baz.bar.foo.com with a port either', () => {
    const [result] = routeFeature(objects, ['GET http://x/'], {
      headers: [['host', 'baz.bar.foo.com:8080']],
    });
    expect(result).toMatchObject({ status: 404, backend: null });
  });

  test('wildcard *.foo.com does not match foo.com (no label)', () => {
    expect(routeFeature(objects, ['GET http://foo.com'])[0]).toMatchObject({ status: 404, backend: null });
  });

  test('HTTPS to a host without a certificate gets no TLS handshake', () => {
    expect(routeFeature(objects, ['GET https://bar.foo.com'])[0]).toMatchObject({
      status: null,
      reason: 'no TLS certificate for server name "bar.foo.com"',
    });
  });

  test('with HTTPS enforced, plain HTTP to the TLS host is redirected with 308; other hosts are not', () => {
    const results = routeFeature(objects, ['GET http://foo.bar.com/a?b=1', 'GET http://bar.foo.com/'], {
      config: { enforceHttps: true },
    });
    expect(results.map((r) => [r.status, r.location, servedBy(r)])).toEqual([
      [308, 'https://foo.bar.com/a?b=1', null],
      [200, null, 'wildcard-foo-com'],
    ]);
  });
});

import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { ingressConfig, translateIngresses, type IngressControllerConfig } from '../src';
import { endpointSlice, ingress, service, tlsSecret } from './support/objects';
import { send, simulate } from './support/simulate';

function translate(objects: KubeObject[], config: Partial<IngressControllerConfig> = {}) {
  const of = (kind: string): KubeObject[] => objects.filter((o) => o.kind === kind);
  return translateIngresses(
    {
      ingresses: of('Ingress'),
      ingressClasses: of('IngressClass'),
      services: of('Service'),
      secrets: of('Secret'),
    },
    ingressConfig(config),
  );
}

type Json = Record<string, unknown>;
const resources = (cec: KubeObject): Json[] => (cec['spec'] as { resources: Json[] }).resources;
const resourceNamed = (cec: KubeObject, name: string): Json =>
  resources(cec).find((r) => r['name'] === name)!;

const web = (
  name: string,
  host: string,
  annotations?: Record<string, string>,
  namespace = 'default',
): KubeObject =>
  ingress(
    name,
    { rules: [{ host, paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] }] },
    { namespace, ...(annotations ? { annotations } : {}) },
  );

describe('dedicated load balancers', () => {
  test('a Service, its placeholder Endpoints and a CEC per Ingress, owned by it', () => {
    const out = translate([web('shop', 'shop.example.com'), service('echo', [{ port: 8080 }])]);
    const owner = [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'shop',
        uid: 'uid-shop',
        controller: true,
      },
    ];
    const meta = (name: string): Json => ({
      name,
      namespace: 'default',
      labels: { 'cilium.io/ingress': 'true' },
      ownerReferences: owner,
    });
    expect(out.services).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('cilium-ingress-shop'),
        spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      },
    ]);
    expect(out.endpoints).toEqual([
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: meta('cilium-ingress-shop'),
        subsets: [{ addresses: [{ ip: '192.192.192.192' }], ports: [{ port: 9999 }] }],
      },
    ]);
    expect(out.envoyConfigs[0]!.metadata).toEqual(meta('cilium-ingress-default-shop'));
    expect(out.envoyConfigs[0]!['spec']).toMatchObject({
      services: [{ name: 'cilium-ingress-shop', namespace: 'default', listener: 'listener' }],
      backendServices: [{ name: 'echo', namespace: 'default', number: ['8080'] }],
    });
    expect(out.loadBalancers).toEqual([
      {
        mode: 'dedicated',
        envoyConfig: { namespace: 'default', name: 'cilium-ingress-default-shop' },
        service: { namespace: 'default', name: 'cilium-ingress-shop' },
        ingresses: ['default/shop'],
      },
    ]);
    expect(out.problems).toEqual([]);
  });

  test('service-type NodePort with fixed node ports', () => {
    const out = translate([
      web('shop', 'shop.example.com', {
        'ingress.cilium.io/service-type': 'NodePort',
        'ingress.cilium.io/insecure-node-port': '30080',
      }),
    ]);
    expect(out.services[0]!['spec']).toEqual({
      type: 'NodePort',
      ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }],
    });
  });

  test('backendServices are de-duplicated and sorted, with numbered and named ports', () => {
    const out = translate([
      ingress('multi', {
        defaultBackend: { service: 'zeta', port: 'http' },
        rules: [
          {
            host: 'a.com',
            paths: [
              { path: '/1', pathType: 'Prefix', service: 'beta', port: 9090 },
              { path: '/2', pathType: 'Prefix', service: 'alpha', port: 80 },
              { path: '/3', pathType: 'Prefix', service: 'beta', port: 8080 },
              { path: '/4', pathType: 'Prefix', service: 'beta', port: 9090 },
            ],
          },
        ],
      }),
    ]);
    expect((out.envoyConfigs[0]!['spec'] as Json)['backendServices']).toEqual([
      { name: 'alpha', namespace: 'default', number: ['80'] },
      { name: 'beta', namespace: 'default', number: ['8080', '9090'] },
      { name: 'zeta', namespace: 'default', number: ['http'] },
    ]);
    const clusters = resources(out.envoyConfigs[0]!).filter((r) => String(r['@type']).endsWith('Cluster'));
    expect(clusters.map((c) => [c['name'], (c['edsClusterConfig'] as Json)['serviceName']])).toEqual([
      ['default:alpha:80', 'default/alpha:80'],
      ['default:beta:8080', 'default/beta:8080'],
      ['default:beta:9090', 'default/beta:9090'],
      ['default:zeta:http', 'default/zeta:http'],
    ]);
  });

  test('an Ingress name too long for its Service is refused with a clear reason', () => {
    const out = translate([web('a'.repeat(50), 'x.com')]);
    expect(out.services).toEqual([]);
    expect(out.problems).toEqual([
      expect.objectContaining({
        reason: 'InvalidName',
        fatal: true,
        message: expect.stringContaining('longer than 63'),
      }),
    ]);
  });
});

describe('shared load balancer', () => {
  test('one CEC and Service in the Cilium namespace for every shared Ingress; routes merged by host', () => {
    const shared = { 'ingress.cilium.io/loadbalancer-mode': 'shared' };
    const objects = [
      web('a', 'a.com', shared, 'team-a'),
      web('b', 'b.com', shared, 'team-b'),
      web('c', 'c.com'),
      service('echo', [{ port: 8080 }], 'team-a'),
      service('echo', [{ port: 8080 }], 'team-b'),
      endpointSlice('echo', ['10.1.0.1'], { port: 8080 }, 'team-a'),
      endpointSlice('echo', ['10.2.0.1'], { port: 8080 }, 'team-b'),
    ];
    const out = translate(objects);
    expect(out.loadBalancers.map((lb) => [lb.mode, lb.service, lb.ingresses])).toEqual([
      ['dedicated', { namespace: 'default', name: 'cilium-ingress-c' }, ['default/c']],
      ['shared', { namespace: 'kube-system', name: 'cilium-ingress' }, ['team-a/a', 'team-b/b']],
    ]);
    const sharedService = out.services.find((s) => s.metadata.name === 'cilium-ingress')!;
    expect(sharedService.metadata).toEqual({
      name: 'cilium-ingress',
      namespace: 'kube-system',
      labels: { 'cilium.io/ingress': 'true' },
    });
    expect((sharedService['spec'] as Json)['ports']).toEqual([
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ]);
    const sim = simulate(objects);
    expect(sim.xds.issues).toEqual([]);
    expect(
      send(sim, ['GET http://a.com/', 'GET http://b.com/x', 'GET http://c.com/'], { ingress: 'team-a/a' }),
    ).toEqual([
      { status: 200, backend: 'team-a/echo:8080', location: null, endpoint: '10.1.0.1:8080' },
      { status: 200, backend: 'team-b/echo:8080', location: null, endpoint: '10.2.0.1:8080' },
      { status: 404, backend: null, location: null, endpoint: null },
    ]);
  });

  test('the default mode is configurable', () => {
    const out = translate([web('a', 'a.com')], {
      defaultLoadBalancerMode: 'shared',
      ciliumNamespace: 'cilium',
    });
    expect(out.loadBalancers.map((lb) => `${lb.mode} ${lb.service.namespace}/${lb.service.name}`)).toEqual([
      'shared cilium/cilium-ingress',
    ]);
  });

  test('the same path on the same host from two Ingresses: the first keeps it, the other gets a Conflict', () => {
    const shared = { 'ingress.cilium.io/loadbalancer-mode': 'shared' };
    const out = translate([
      ingress(
        'first',
        {
          rules: [{ host: 'x.com', paths: [{ path: '/api', pathType: 'Prefix', service: 'one', port: 80 }] }],
        },
        { annotations: shared },
      ),
      ingress(
        'second',
        {
          rules: [
            { host: 'x.com', paths: [{ path: '/api/', pathType: 'Prefix', service: 'two', port: 80 }] },
          ],
        },
        { annotations: shared },
      ),
    ]);
    expect(out.problems.filter((p) => p.reason === 'Conflict')).toEqual([
      {
        ingress: { namespace: 'default', name: 'second', uid: 'uid-second' },
        reason: 'Conflict',
        message:
          'prefix path "/api" on host "x.com" is already served by Ingress default/first; this one is ignored',
        fatal: false,
      },
    ]);
  });
});

describe('TLS', () => {
  const objects = (): KubeObject[] => [
    ingress('tls', {
      rules: [
        { host: 'a.com', paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] },
        { host: 'b.com', paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] },
        { host: 'c.com', paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] },
        { host: 'plain.com', paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] },
      ],
      tls: [
        { hosts: ['b.com', 'a.com'], secretName: 'ab' },
        { hosts: ['c.com'], secretName: 'c' },
        { hosts: ['plain.com'], secretName: 'missing' },
      ],
    }),
    service('echo', [{ port: 8080 }]),
    endpointSlice('echo', ['10.0.0.1'], { port: 8080 }),
    tlsSecret('ab', 'crt-ab', 'key-ab'),
    tlsSecret('c', 'crt-c', 'key-c'),
  ];

  test('one TLS filter chain per certificate with its sorted server names, each on the secure routes', () => {
    const out = translate(objects());
    const listener = resourceNamed(out.envoyConfigs[0]!, 'listener');
    const chains = listener['filterChains'] as Json[];
    expect(chains.map((c) => c['filterChainMatch'])).toEqual([
      { transportProtocol: 'raw_buffer' },
      { serverNames: ['a.com', 'b.com'], transportProtocol: 'tls' },
      { serverNames: ['c.com'], transportProtocol: 'tls' },
    ]);
    expect(chains.slice(1).map((c) => JSON.stringify(c['transportSocket']))).toEqual([
      expect.stringContaining('"name":"cilium-secrets/default-ab"'),
      expect.stringContaining('"name":"cilium-secrets/default-c"'),
    ]);
    expect(out.problems).toEqual([
      {
        ingress: { namespace: 'default', name: 'tls', uid: 'uid-tls' },
        reason: 'SecretNotFound',
        message: 'TLS Secret default/missing not found; its hosts get no HTTPS',
        fatal: false,
      },
    ]);
  });

  test('Secrets are copied into the secrets namespace and served over SDS', () => {
    const out = translate(objects(), { secretsNamespace: 'certs' });
    expect(
      out.secrets.map((s) => [s.metadata.namespace, s.metadata.name, s.metadata.annotations, s['type']]),
    ).toEqual([
      [
        'certs',
        'default-ab',
        { 'ingress.cilium.io/source-namespace': 'default', 'ingress.cilium.io/source-name': 'ab' },
        'kubernetes.io/tls',
      ],
      [
        'certs',
        'default-c',
        { 'ingress.cilium.io/source-namespace': 'default', 'ingress.cilium.io/source-name': 'c' },
        'kubernetes.io/tls',
      ],
    ]);
    const sim = simulate(objects(), { secretsNamespace: 'certs' });
    expect([
      ...sim.xds.snapshot
        .resources('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret')
        .keys(),
    ]).toEqual(['certs/default-ab', 'certs/default-c']);
  });

  test('HTTP to TLS hosts is redirected (308) when HTTPS is enforced; HTTPS is routed; the annotation overrides', () => {
    const sim = simulate(objects());
    expect(sim.xds.issues).toEqual([]);
    expect(
      send(sim, ['GET http://a.com/x', 'GET https://a.com/x', 'GET http://plain.com/', 'GET https://c.com/']),
    ).toEqual([
      { status: 308, backend: null, location: 'https://a.com/x', endpoint: null },
      { status: 200, backend: 'default/echo:8080', location: null, endpoint: '10.0.0.1:8080' },
      { status: 200, backend: 'default/echo:8080', location: null, endpoint: '10.0.0.1:8080' },
      { status: 200, backend: 'default/echo:8080', location: null, endpoint: '10.0.0.1:8080' },
    ]);
    const [first, ...rest] = objects();
    first!.metadata.annotations = { 'ingress.cilium.io/force-https': 'disabled' };
    expect(send(simulate([first!, ...rest]), ['GET http://a.com/x'])[0]!.status).toBe(200);
  });

  test('the Service opens 443 only when a certificate is served', () => {
    const out = translate(objects());
    expect((out.services[0]!['spec'] as Json)['ports']).toEqual([
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ]);
  });
});

describe('backends and default backends', () => {
  test('a missing Service or port is reported, and its requests get 503', () => {
    const objects = [
      ingress('web', {
        rules: [
          {
            host: 'a.com',
            paths: [
              { path: '/gone', pathType: 'Prefix', service: 'gone', port: 80 },
              { path: '/port', pathType: 'Prefix', service: 'echo', port: 'grpc' },
            ],
          },
        ],
      }),
      service('echo', [{ name: 'http', port: 8080 }]),
    ];
    const sim = simulate(objects);
    expect(sim.translation.problems.map((p) => `${p.reason}: ${p.message}`)).toEqual([
      'ServiceNotFound: Service default/gone not found; requests for it get 503',
      'ServicePortNotFound: Service default/echo has no port "grpc"; requests for it get 503',
    ]);
    expect(send(sim, ['GET http://a.com/gone', 'GET http://a.com/port'])).toEqual([
      { status: 503, backend: 'default/gone:80', location: null, endpoint: null },
      { status: 503, backend: 'default/echo:grpc', location: null, endpoint: null },
    ]);
  });

  test('the default backend takes what matches no rule: other hosts, and unmatched paths of its own hosts', () => {
    const sim = simulate([
      ingress('web', {
        defaultBackend: { service: 'fallback', port: 80 },
        rules: [{ host: 'a.com', paths: [{ path: '/app', pathType: 'Exact', service: 'app', port: 80 }] }],
      }),
      service('fallback', [{ port: 80 }]),
      service('app', [{ port: 80 }]),
      endpointSlice('fallback', ['10.0.0.9'], { port: 80 }),
      endpointSlice('app', ['10.0.0.1'], { port: 80 }),
    ]);
    expect(send(sim, ['GET http://a.com/app', 'GET http://a.com/other', 'GET http://b.com/'])).toEqual([
      { status: 200, backend: 'default/app:80', location: null, endpoint: '10.0.0.1:80' },
      { status: 200, backend: 'default/fallback:80', location: null, endpoint: '10.0.0.9:80' },
      { status: 200, backend: 'default/fallback:80', location: null, endpoint: '10.0.0.9:80' },
    ]);
  });

  test('an invalid Ingress is not served and its problem names every field', () => {
    const bad = ingress('bad', {
      rules: [{ host: 'a.com', paths: [{ path: 'x', pathType: 'Exact', service: 'echo', port: 80 }] }],
    });
    const out = translate([bad]);
    expect(out.loadBalancers).toEqual([]);
    expect(out.problems).toEqual([
      {
        ingress: { namespace: 'default', name: 'bad', uid: 'uid-bad' },
        reason: 'InvalidIngress',
        message: `/spec/rules/0/http/paths/0/path: "x" must be an absolute path (start with '/')`,
        fatal: true,
      },
    ]);
  });
});

describe('wildcard hosts', () => {
  const objects = (tls: boolean): KubeObject[] => [
    ingress('wild', {
      defaultBackend: { service: 'fallback', port: 80 },
      rules: [
        { host: '*.foo.com', paths: [{ path: '/api', pathType: 'Prefix', service: 'api', port: 80 }] },
        { paths: [{ path: '/healthz', pathType: 'Exact', service: 'health', port: 80 }] },
      ],
      ...(tls ? { tls: [{ hosts: ['*.foo.com'], secretName: 'wild-tls' }] } : {}),
    }),
    ...['fallback', 'api', 'health'].map((name) => service(name, [{ port: 80 }])),
    ...['fallback', 'api', 'health'].map((name, i) => endpointSlice(name, [`10.0.0.${i + 1}`], { port: 80 })),
    ...(tls ? [tlsSecret('wild-tls', 'crt', 'key')] : []),
  ];

  test('no `*.foo.com:*` domain; the port is ignored for picking the virtual host', () => {
    const { envoyConfigs } = translate(objects(false));
    const routes = resourceNamed(envoyConfigs[0]!, 'listener-insecure');
    expect(routes['ignorePortInHostMatching']).toBe(true);
    const vhosts = routes['virtualHosts'] as Json[];
    expect(vhosts.map((v) => v['domains'])).toEqual([['*.foo.com'], ['*']]);
  });

  test('one label, with or without a port; more labels get what the catch-all host gives', () => {
    const sim = simulate(objects(false));
    const at = (host: string, path: string): string | null =>
      send(sim, [`GET http://lb${path}`], { headers: [['host', host]] })[0]!.backend;
    expect([
      at('a.foo.com', '/api/x'),
      at('a.foo.com:8080', '/api/x'),
      at('a.foo.com', '/other'),
      at('a.b.foo.com', '/api/x'),
      at('a.b.foo.com:8080', '/healthz'),
      at('foo.com', '/api'),
    ]).toEqual([
      'default/api:80',
      'default/api:80',
      'default/fallback:80',
      'default/fallback:80',
      'default/health:80',
      'default/fallback:80',
    ]);
  });

  test('with HTTPS enforced, only one-label names are redirected', () => {
    const sim = simulate(objects(true), { enforceHttps: true });
    const results = [
      ...send(sim, ['GET http://lb/api'], { headers: [['host', 'a.foo.com:8080']] }),
      ...send(sim, ['GET http://a.b.foo.com/healthz']),
    ];
    expect(results.map((r) => [r.status, r.location, r.backend])).toEqual([
      [308, 'https://a.foo.com:8080/api', null],
      [200, null, 'default/health:80'],
    ]);
  });
});

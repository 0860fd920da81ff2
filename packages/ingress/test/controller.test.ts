import { afterEach, describe, expect, test } from '@jest/globals';
import { Kinds, silentLogger, type KubeObject } from '@ciliary/core';
import { FakeClock } from '@ciliary/core/testing';
import {
  countIngressStates,
  IngressController,
  ingressConfig,
  type IngressControllerConfig,
  type ReconcileOutcome,
} from '../src';
import { MemoryCluster } from './support/memory-cluster';
import { ingress, service, tlsSecret } from './support/objects';

const KINDS = [
  Kinds.Ingress,
  Kinds.IngressClass,
  Kinds.Service,
  Kinds.Secret,
  Kinds.Endpoints,
  Kinds.CiliumEnvoyConfig,
];

let controllers: IngressController[] = [];
afterEach(() => {
  for (const c of controllers) c.stop();
  controllers = [];
});

function start(
  cluster: MemoryCluster,
  clock: FakeClock,
  config: Partial<IngressControllerConfig> = {},
  onReconciled?: (outcome: ReconcileOutcome) => void,
): IngressController {
  const controller = new IngressController({
    ...(onReconciled ? { onReconciled } : {}),
    source: cluster.source,
    writer: cluster.writer,
    config: ingressConfig(config),
    clock,
    logger: silentLogger(),
    resyncIntervalMs: 60_000,
    retry: { initialMs: 1_000, maxMs: 8_000 },
  });
  controllers.push(controller);
  controller.start();
  return controller;
}

async function settled(clock: FakeClock, controller: IngressController): Promise<void> {
  await clock.advance(0);
  await controller.whenIdle();
}

const web = (paths = [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }]): KubeObject =>
  ingress('web', { rules: [{ host: 'web.example.com', paths }] });

function names(cluster: MemoryCluster): string[] {
  return [Kinds.CiliumEnvoyConfig, Kinds.Service, Kinds.Endpoints, Kinds.Secret]
    .flatMap((kind) =>
      cluster.source.list(kind).map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
    )
    .sort();
}

describe('IngressController', () => {
  test('creates the CEC, Service and Endpoints of an Ingress, then copies the Service address into its status', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Ingress, web());
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    const controller = start(cluster, clock);
    await settled(clock, controller);
    expect(names(cluster)).toEqual([
      'CiliumEnvoyConfig default/cilium-ingress-default-web',
      'Endpoints default/cilium-ingress-web',
      'Service default/cilium-ingress-web',
      'Service default/echo',
    ]);
    expect(cluster.get(Kinds.Ingress, 'default', 'web')?.['status']).toBeUndefined();

    const lb = cluster.get(Kinds.Service, 'default', 'cilium-ingress-web')!;
    cluster.put(Kinds.Service, { ...lb, status: { loadBalancer: { ingress: [{ ip: '172.18.0.100' }] } } });
    await settled(clock, controller);
    expect(cluster.get(Kinds.Ingress, 'default', 'web')?.['status']).toEqual({
      loadBalancer: { ingress: [{ ip: '172.18.0.100' }] },
    });
    expect(controller.status()).toMatchObject({
      state: 'Ok',
      message: '1 Ingresses served by 1 load balancers, 0 problems',
    });
  });

  test('updates what changed, deletes what an Ingress left behind, and writes nothing when nothing changed', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Ingress, web());
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    const controller = start(cluster, clock);
    await settled(clock, controller);
    cluster.writes.length = 0;

    cluster.put(Kinds.Ingress, web([{ path: '/v2', pathType: 'Exact', service: 'echo', port: 8080 }]));
    await settled(clock, controller);
    expect(cluster.writes).toEqual([
      'apply cilium.io/v2/CiliumEnvoyConfig default/cilium-ingress-default-web',
    ]);
    expect(
      JSON.stringify(cluster.get(Kinds.CiliumEnvoyConfig, 'default', 'cilium-ingress-default-web')),
    ).toContain('"path":"/v2"');

    cluster.writes.length = 0;
    await clock.advance(60_000);
    await controller.whenIdle();
    expect(cluster.writes).toEqual([]);

    cluster.remove(Kinds.Ingress, 'default', 'web');
    await settled(clock, controller);
    expect(cluster.writes.sort()).toEqual([
      'delete cilium.io/v2/CiliumEnvoyConfig default/cilium-ingress-default-web',
      'delete core/v1/Endpoints default/cilium-ingress-web',
      'delete core/v1/Service default/cilium-ingress-web',
    ]);
    expect(names(cluster)).toEqual(['Service default/echo']);
  });

  test('a restarted controller writes nothing for an unchanged cluster, and prunes leftovers of Ingresses deleted meanwhile', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Ingress, web());
    cluster.put(Kinds.Ingress, ingress('old', { defaultBackend: { service: 'echo', port: 8080 } }));
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    const first = start(cluster, clock);
    await settled(clock, first);
    first.stop();
    cluster.remove(Kinds.Ingress, 'default', 'old');
    cluster.writes.length = 0;

    const second = start(cluster, clock);
    await settled(clock, second);
    expect(cluster.writes.sort()).toEqual([
      'delete cilium.io/v2/CiliumEnvoyConfig default/cilium-ingress-default-old',
      'delete core/v1/Endpoints default/cilium-ingress-old',
      'delete core/v1/Service default/cilium-ingress-old',
    ]);
    expect(second.status().objects).toMatchObject({ pruned: 3, errors: 0 });
  });

  test('TLS Secrets are synced into the secrets namespace, and a rotation is copied', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(
      Kinds.Ingress,
      ingress('tls', {
        rules: [{ host: 'a.com', paths: [{ path: '/', pathType: 'Prefix', service: 'echo', port: 8080 }] }],
        tls: [{ hosts: ['a.com'], secretName: 'cert' }],
      }),
    );
    cluster.put(Kinds.Secret, tlsSecret('cert', 'crt-1', 'key-1'));
    const controller = start(cluster, clock);
    await settled(clock, controller);
    const synced = (): unknown => cluster.get(Kinds.Secret, 'cilium-secrets', 'default-cert')?.['data'];
    expect(synced()).toEqual({
      'tls.crt': Buffer.from('crt-1').toString('base64'),
      'tls.key': Buffer.from('key-1').toString('base64'),
    });
    cluster.put(Kinds.Secret, tlsSecret('cert', 'crt-2', 'key-2'));
    await settled(clock, controller);
    expect(synced()).toEqual({
      'tls.crt': Buffer.from('crt-2').toString('base64'),
      'tls.key': Buffer.from('key-2').toString('base64'),
    });
    cluster.remove(Kinds.Secret, 'default', 'cert');
    await settled(clock, controller);
    expect(synced()).toBeUndefined();
    expect(cluster.events.map((e) => e['reason'])).toEqual(['ServiceNotFound', 'SecretNotFound']);
  });

  test('one Event per problem while it lasts; again when it comes back', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Ingress, web());
    const controller = start(cluster, clock);
    await settled(clock, controller);
    expect(cluster.events).toEqual([
      expect.objectContaining({
        apiVersion: 'v1',
        kind: 'Event',
        involvedObject: {
          apiVersion: 'networking.k8s.io/v1',
          kind: 'Ingress',
          namespace: 'default',
          name: 'web',
          uid: 'uid-web',
        },
        reason: 'ServiceNotFound',
        message: 'Service default/echo not found; requests for it get 503',
        type: 'Warning',
        source: { component: 'cilium-ingress-controller' },
        count: 1,
      }),
    ]);
    cluster.put(Kinds.IngressClass, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: 'x' },
      spec: { controller: 'a.io/b' },
    });
    await settled(clock, controller);
    expect(cluster.events).toHaveLength(1);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    await settled(clock, controller);
    cluster.remove(Kinds.Service, 'default', 'echo');
    await settled(clock, controller);
    expect(cluster.events.map((e) => e['reason'])).toEqual(['ServiceNotFound', 'ServiceNotFound']);
  });

  test('an invalid Ingress gets an Event and no load balancer; other Ingresses are served', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    cluster.put(Kinds.Ingress, web());
    cluster.put(
      Kinds.Ingress,
      ingress('bad', {
        rules: [{ host: 'x.com', paths: [{ path: 'nope', pathType: 'Exact', service: 'echo', port: 8080 }] }],
      }),
    );
    const controller = start(cluster, clock);
    await settled(clock, controller);
    expect(names(cluster)).toContain('Service default/cilium-ingress-web');
    expect(names(cluster)).not.toContain('Service default/cilium-ingress-bad');
    expect(cluster.events.map((e) => [e['reason'], e['message']])).toEqual([
      ['InvalidIngress', `/spec/rules/0/http/paths/0/path: "nope" must be an absolute path (start with '/')`],
    ]);
  });

  test('failed writes are retried with back-off; the controller reports Degraded meanwhile and never throws', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    cluster.put(Kinds.Ingress, web());
    let failures = 3;
    cluster.failWrites = (op) =>
      op.startsWith('apply') && failures-- > 0 ? 'the API server is unavailable' : undefined;
    const controller = start(cluster, clock);
    await settled(clock, controller);
    expect(controller.status().state).toBe('Degraded');
    expect(controller.status().message).toContain('the API server is unavailable');
    await clock.advance(1_000);
    await controller.whenIdle();
    expect(controller.status()).toMatchObject({ state: 'Ok' });
    expect(names(cluster)).toContain('CiliumEnvoyConfig default/cilium-ingress-default-web');
  });

  test('every pass reports its outcome: writes failing after it are an error, a clean pass a success', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    cluster.put(Kinds.Ingress, web());
    cluster.failWrites = (op) => (op.startsWith('apply') ? 'the API server is unavailable' : undefined);
    const outcomes: ReconcileOutcome[] = [];
    const controller = start(cluster, clock, {}, (outcome) => outcomes.push(outcome));
    await settled(clock, controller);
    await Promise.resolve();
    expect(outcomes.map((o) => o.result)).toEqual(['error']);
    cluster.failWrites = undefined;
    cluster.put(Kinds.Ingress, ingress('other', { rules: [{ host: 'other.example.com', paths: [] }] }));
    await settled(clock, controller);
    await Promise.resolve();
    // The writes' own watch events bring passes that write nothing: successes too.
    expect(outcomes[0]?.result).toBe('error');
    expect(outcomes.length).toBeGreaterThan(1);
    expect(outcomes.slice(1).every((o) => o.result === 'success')).toBe(true);
    expect(outcomes.every((o) => o.durationMs >= 0)).toBe(true);
  });

  test('Ingresses are counted by state: served, degraded, rejected, ignored', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    cluster.put(Kinds.Ingress, web());
    cluster.put(
      Kinds.Ingress,
      ingress('half', {
        rules: [
          {
            host: 'half.example.com',
            paths: [
              { path: '/', pathType: 'Prefix', service: 'echo', port: 8080 },
              { path: '/gone', pathType: 'Prefix', service: 'missing', port: 80 },
            ],
          },
        ],
      }),
    );
    cluster.put(
      Kinds.Ingress,
      ingress('bad', {
        rules: [{ paths: [{ path: 'nope', pathType: 'Exact', service: 'echo', port: 8080 }] }],
      }),
    );
    cluster.put(Kinds.Ingress, ingress('theirs', { className: 'nginx', rules: [] }));
    const controller = start(cluster, clock);
    await settled(clock, controller);
    expect(countIngressStates(controller.status())).toEqual({
      served: 1,
      degraded: 1,
      rejected: 1,
      ignored: 1,
    });
  });

  test('an Ingress moved to another class is no longer served: its objects go, its status is cleared', async () => {
    const clock = new FakeClock();
    const cluster = new MemoryCluster(KINDS);
    cluster.put(Kinds.Service, service('echo', [{ port: 8080 }]));
    cluster.put(Kinds.Ingress, web());
    const controller = start(cluster, clock);
    await settled(clock, controller);
    const lb = cluster.get(Kinds.Service, 'default', 'cilium-ingress-web')!;
    cluster.put(Kinds.Service, {
      ...lb,
      status: { loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] } },
    });
    await settled(clock, controller);
    expect(cluster.get(Kinds.Ingress, 'default', 'web')?.['status']).toEqual({
      loadBalancer: { ingress: [{ hostname: 'lb.example.net' }] },
    });
    const current = cluster.get(Kinds.Ingress, 'default', 'web')!;
    cluster.put(Kinds.Ingress, {
      ...current,
      spec: { ...(current['spec'] as object), ingressClassName: 'nginx' },
    });
    await settled(clock, controller);
    expect(names(cluster)).toEqual(['Service default/echo']);
    expect(cluster.get(Kinds.Ingress, 'default', 'web')?.['status']).toEqual({ loadBalancer: {} });
    expect(controller.status().skipped).toEqual([
      {
        namespace: 'default',
        name: 'web',
        reason: 'ingressClassName "nginx" is another controller\'s class',
      },
    ]);
  });
});

import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger, type KubeObject } from '@ciliary/core';
import { ApiClient, type DaemonConfig, type DaemonStatus, type RunningDaemon } from '@ciliary/daemon';
import { EventKind, type IngressControllerStatus } from '@ciliary/ingress';
import { FakeKubeApiServer, waitFor } from '@ciliary/testing';
import { OPERATOR_KINDS, startOperator } from '../src';

// The operator's Ingress controller end to end: real client-node informers and writes against
// the Kubernetes API server double over HTTP (list, watch, create, patch, delete, status, events).
const server = new FakeKubeApiServer([...OPERATOR_KINDS, Kinds.Endpoints, EventKind]);
let dir: string;
let config: DaemonConfig;
let operator: RunningDaemon | undefined;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

function ingressObject(paths: Array<{ path: string; service: string }>): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'shop', uid: 'ingress-uid-1' },
    spec: {
      ingressClassName: 'cilium',
      tls: [{ hosts: ['web.example.com'], secretName: 'web-tls' }],
      rules: [
        {
          host: 'web.example.com',
          http: {
            paths: paths.map((p) => ({
              path: p.path,
              pathType: 'Prefix',
              backend: { service: { name: p.service, port: { number: 8080 } } },
            })),
          },
        },
      ],
    },
  };
}

const get = (
  kind: Parameters<FakeKubeApiServer['get']>[0],
  ns: string,
  name: string,
): KubeObject | undefined => server.get(kind, ns, name);

async function ingressStatus(): Promise<IngressControllerStatus> {
  return new ApiClient(config.apiSocket).get<IngressControllerStatus>('/v1/ingress');
}

async function start(): Promise<RunningDaemon> {
  return startOperator(config, { logger: silentLogger(), ingress: { resyncIntervalMs: 500 } });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ciliary-operator-ingress-'));
  await server.start();
  config = {
    kubeconfig: await server.writeKubeconfig(dir),
    nodeName: 'op',
    stateDir: dir,
    apiSocket: path.join(dir, 'operator.sock'),
    metricsAddress: '127.0.0.1:0',
    logLevel: 'info',
    logFormat: 'json',
  };
  server.apply(Kinds.Service, {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'shop' },
    spec: { ports: [{ port: 8080 }] },
  });
  server.apply(Kinds.Secret, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'web-tls', namespace: 'shop' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64('crt-1'), 'tls.key': b64('key-1') },
  });
  server.apply(Kinds.Ingress, ingressObject([{ path: '/', service: 'echo' }]));
  operator = await start();
}, 60_000);

afterAll(async () => {
  await operator?.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('operator: Ingress controller against the API server', () => {
  test('creates the CEC, the load-balancer Service and Endpoints (owned by the Ingress) and syncs the TLS Secret', async () => {
    await waitFor(() => get(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web'), {
      timeoutMs: 20_000,
      description: 'the CiliumEnvoyConfig',
    });
    const owner = [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'web',
        uid: 'ingress-uid-1',
        controller: true,
      },
    ];
    for (const kind of [Kinds.CiliumEnvoyConfig, Kinds.Service, Kinds.Endpoints]) {
      const name = kind === Kinds.CiliumEnvoyConfig ? 'cilium-ingress-shop-web' : 'cilium-ingress-web';
      const object = await waitFor(() => get(kind, 'shop', name), { description: `${kind.kind} ${name}` });
      expect(object.metadata).toMatchObject({
        labels: { 'cilium.io/ingress': 'true' },
        ownerReferences: owner,
      });
    }
    expect(get(Kinds.Service, 'shop', 'cilium-ingress-web')?.['spec']).toMatchObject({
      type: 'LoadBalancer',
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
      ],
    });
    const synced = await waitFor(() => get(Kinds.Secret, 'cilium-secrets', 'shop-web-tls'), {
      description: 'synced Secret',
    });
    expect(synced['data']).toEqual({ 'tls.crt': b64('crt-1'), 'tls.key': b64('key-1') });
    const status = await new ApiClient(config.apiSocket).get<DaemonStatus>('/v1/status');
    expect(status.subsystems.find((s) => s.name === 'ingress')).toEqual({
      name: 'ingress',
      state: 'Ok',
      message: '1 Ingresses served by 1 load balancers, 0 problems',
    });
  });

  test('copies the load balancer address into the Ingress status', async () => {
    const lb = get(Kinds.Service, 'shop', 'cilium-ingress-web')!;
    server.apply(Kinds.Service, { ...lb, status: { loadBalancer: { ingress: [{ ip: '172.18.255.10' }] } } });
    await waitFor(
      () =>
        JSON.stringify(get(Kinds.Ingress, 'shop', 'web')?.['status']) ===
        '{"loadBalancer":{"ingress":[{"ip":"172.18.255.10"}]}}',
      { description: 'the Ingress status' },
    );
    expect(server.writes).toContain('PATCH /apis/networking.k8s.io/v1/namespaces/shop/ingresses/web/status');
  });

  test('an update of the Ingress updates the CEC; a missing backend becomes a Warning Event on the Ingress', async () => {
    const current = get(Kinds.Ingress, 'shop', 'web')!;
    server.apply(Kinds.Ingress, {
      ...ingressObject([
        { path: '/', service: 'echo' },
        { path: '/api', service: 'api' },
      ]),
      status: current['status'],
    });
    await waitFor(
      () =>
        JSON.stringify(get(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web')).includes(
          '"pathSeparatedPrefix":"/api"',
        ),
      {
        description: 'the updated CEC',
      },
    );
    const event = await waitFor(() => server.list(EventKind).find((e) => e['reason'] === 'ServiceNotFound'), {
      description: 'the Event',
    });
    expect(event).toMatchObject({
      metadata: { namespace: 'shop' },
      involvedObject: { kind: 'Ingress', name: 'web', namespace: 'shop', uid: 'ingress-uid-1' },
      type: 'Warning',
      message: 'Service shop/api not found; requests for it get 503',
    });
  });

  test('/metrics counts reconciliations by result, their duration and Ingresses by state', async () => {
    const scrape = async (): Promise<string> =>
      (await fetch(`http://${operator!.metricsAddress}/metrics`)).text();
    const value = (text: string, series: string): number =>
      Number(new RegExp(`^${series.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    // The Ingress is served, but its /api backend is missing: degraded.
    const text = await waitFor(
      async () => {
        const t = await scrape();
        return value(t, 'ciliary_operator_ingress_ingresses{state="degraded"}') === 1 ? t : undefined;
      },
      { description: 'the degraded Ingress in /metrics' },
    );
    expect(value(text, 'ciliary_operator_ingress_ingresses{state="served"}')).toBe(0);
    expect(value(text, 'ciliary_operator_ingress_ingresses{state="rejected"}')).toBe(0);
    expect(value(text, 'ciliary_operator_ingress_reconciliations_total{result="success"}')).toBeGreaterThan(
      0,
    );
    expect(value(text, 'ciliary_operator_ingress_reconciliations_total{result="error"}')).toBe(0);
    const passes = value(text, 'ciliary_operator_ingress_reconcile_duration_seconds_count');
    expect(passes).toBe(value(text, 'ciliary_operator_ingress_reconciliations_total{result="success"}'));
    expect(value(text, 'ciliary_operator_ingress_reconcile_duration_seconds_sum')).toBeGreaterThan(0);
  });

  test('a rotated TLS Secret is copied again', async () => {
    const secret = get(Kinds.Secret, 'shop', 'web-tls')!;
    server.apply(Kinds.Secret, { ...secret, data: { 'tls.crt': b64('crt-2'), 'tls.key': b64('key-2') } });
    await waitFor(
      () =>
        get(Kinds.Secret, 'cilium-secrets', 'shop-web-tls')?.['data']?.toString() !== undefined &&
        (get(Kinds.Secret, 'cilium-secrets', 'shop-web-tls')?.['data'] as Record<string, string>)[
          'tls.crt'
        ] === b64('crt-2'),
      {
        description: 'the rotated copy',
      },
    );
  });

  test('a restarted operator writes no object to an unchanged cluster (it only records its open problem again)', async () => {
    await operator?.stop();
    const before = server.writes.length;
    operator = await start();
    await waitFor(
      async () => {
        const s = await ingressStatus();
        return (
          s.synced &&
          s.objects.lastResyncAt !== undefined &&
          s.objects.pending === 0 &&
          s.statuses.pending === 0
        );
      },
      { description: 'the restarted controller to settle' },
    );
    // Like client-go's recorder, a new process records the problems it sees again.
    expect(server.writes.slice(before)).toEqual(['POST /api/v1/namespaces/shop/events']);
  });

  test('deleting the Ingress removes everything it left behind', async () => {
    server.delete(Kinds.Ingress, 'shop', 'web');
    await waitFor(
      () =>
        !get(Kinds.CiliumEnvoyConfig, 'shop', 'cilium-ingress-shop-web') &&
        !get(Kinds.Service, 'shop', 'cilium-ingress-web') &&
        !get(Kinds.Endpoints, 'shop', 'cilium-ingress-web') &&
        !get(Kinds.Secret, 'cilium-secrets', 'shop-web-tls'),
      { description: 'garbage collection' },
    );
    expect(get(Kinds.Service, 'shop', 'echo')).toBeDefined();
    expect(get(Kinds.Secret, 'shop', 'web-tls')).toBeDefined();
  });
});

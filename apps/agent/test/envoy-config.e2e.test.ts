import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { silentLogger, type KubeObject } from '@ciliary/core';
import { ApiClient, type RunningDaemon } from '@ciliary/daemon';
import { ingressConfig, translateIngresses } from '@ciliary/ingress';
import { EnvoyCodec, TypeUrls } from '@ciliary/service-mesh-translator';
import { connectAds, RawAdsStream } from '@ciliary/service-mesh-translator/testing';
import { waitFor } from '@ciliary/testing';
import { startAgent } from '../src';

// The agent serves an Ingress's translation (as the operator writes it: CEC, load-balancer
// Service, synced TLS Secret) over ADS on its unix socket, to a client that asks the way Envoy
// does: LDS and CDS by wildcard, then the RDS, EDS and SDS names those resources carry.

type Json = Record<string, unknown>;

function certificate(host: string): { crt: string; key: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'ciliary-cert-'));
  try {
    const [crt, key] = [path.join(dir, 'tls.crt'), path.join(dir, 'tls.key')];
    const result = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`,
      '-keyout', key, '-out', crt,
    ]); // prettier-ignore
    if (result.status !== 0) throw new Error(`openssl failed: ${String(result.stderr)}`);
    return { crt: readFileSync(crt, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function tlsSecret(name: string, namespace: string, cert: { crt: string; key: string }): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace },
    data: { 'tls.crt': b64(cert.crt), 'tls.key': b64(cert.key) },
  };
}

const cluster: KubeObject[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'cilium' },
    spec: { controller: 'cilium.io/ingress-controller' },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 8080, targetPort: 3000 }] },
  },
  {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 3000, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.0.1.5'], conditions: { ready: true } }],
  },
];

const ingress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop', uid: '6f1c1e0a-0000-4000-8000-000000000001' },
  spec: {
    ingressClassName: 'cilium',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 8080 } } } },
          ],
        },
      },
    ],
  },
};

const yamlOf = (objects: readonly KubeObject[]): string =>
  objects.map((o) => `---\n${stringify(o)}`).join('');

/** An ADS session that reads each response once, by type. */
class Session {
  private seen = 0;
  constructor(
    readonly stream: RawAdsStream,
    private readonly codec: EnvoyCodec,
  ) {}

  request(typeUrl: string, names: string[] = [], node?: Json): void {
    this.stream.send({ ...(node ? { node } : {}), type_url: typeUrl, resource_names: names });
  }

  /** The next unread response of a type; it is ACKed (with the names still wanted). */
  async next(typeUrl: string, names: string[] = []): Promise<{ version: string; resources: Json[] }> {
    const response = await waitFor(
      () => this.stream.responses.slice(this.seen).find((r) => r['type_url'] === typeUrl),
      { description: `a ${typeUrl} response` },
    );
    this.seen = this.stream.responses.indexOf(response) + 1;
    const resources = ((response['resources'] as Json[] | undefined) ?? []).map(
      (any) => this.codec.toJson(typeUrl, any['value'] as Uint8Array) as Json,
    );
    const version = String(response['version_info']);
    this.stream.send({
      type_url: typeUrl,
      version_info: version,
      response_nonce: response['nonce'],
      resource_names: names,
    });
    return { version, resources };
  }

  unreadTypes(): string[] {
    return this.stream.responses.slice(this.seen).map((r) => String(r['type_url']));
  }
}

/** Values at any depth under a key (both proto3 JSON spellings). */
function valuesOf(value: unknown, keys: readonly string[]): unknown[] {
  if (Array.isArray(value)) return value.flatMap((v) => valuesOf(v, keys));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => [...(keys.includes(k) ? [v] : []), ...valuesOf(v, keys)]);
}

describe('agent serving xDS for an Ingress from a manifests directory', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-agent-xds-')));
  const manifests = path.join(dir, 'manifests');
  const stateDir = path.join(dir, 'state');
  const socket = path.join(stateDir, 'envoy', 'sockets', 'xds.sock');
  const codec = EnvoyCodec.load();
  const first = certificate('shop.example.com');
  let translation: ReturnType<typeof translateIngresses>;
  let agent: RunningDaemon | undefined;
  let client: ReturnType<typeof connectAds> | undefined;
  let session: Session;

  beforeAll(async () => {
    spawnSync('mkdir', ['-p', manifests]);
    translation = translateIngresses(
      { ingresses: [ingress], ingressClasses: [cluster[0]!], services: [cluster[1]!], secrets: [tlsSecret('shop-tls', 'shop', first)] },
      ingressConfig(),
    ); // prettier-ignore
    expect(translation.problems).toEqual([]);
    writeFileSync(path.join(manifests, 'cluster.yaml'), yamlOf(cluster));
    writeFileSync(
      path.join(manifests, 'ingress-output.yaml'),
      yamlOf([...translation.envoyConfigs, ...translation.services, ...translation.endpoints]),
    );
    writeFileSync(path.join(manifests, 'synced-secret.yaml'), yamlOf(translation.secrets));
    agent = await startAgent(
      {
        manifests,
        nodeName: 'node-1',
        stateDir,
        apiSocket: path.join(stateDir, 'ciliary.sock'),
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      { logger: silentLogger(), datapath: false, envoyConfig: { debounceMs: 20 } },
    );
    client = connectAds(`unix://${socket}`);
    session = new Session(new RawAdsStream(client, codec, 'sotw'), codec);
  }, 30_000);

  afterAll(async () => {
    session?.stream.close();
    client?.close();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an Envoy-style client gets the listener, routes, clusters, endpoints and the certificate', async () => {
    const node = { id: 'router~10.0.0.1~cilium-envoy.kube-system~kube-system.svc.cluster.local' };
    session.request(TypeUrls.listener, [], node);
    const lds = await session.next(TypeUrls.listener);
    expect(lds.resources.map((l) => l['name'])).toEqual(['shop/cilium-ingress-shop-web/listener']);
    const routeNames = valuesOf(lds.resources, ['route_config_name', 'routeConfigName']).map(String).sort();
    const secretNames = [
      ...new Set(valuesOf(lds.resources, ['tls_certificate_sds_secret_configs', 'tlsCertificateSdsSecretConfigs'])
        .flatMap((configs) => (configs as Json[]).map((c) => String(c['name'])))),
    ]; // prettier-ignore
    expect(routeNames).toEqual([
      'shop/cilium-ingress-shop-web/listener-insecure',
      'shop/cilium-ingress-shop-web/listener-secure',
    ]);
    expect(secretNames).toEqual(['cilium-secrets/shop-shop-tls']);

    session.request(TypeUrls.cluster);
    const cds = await session.next(TypeUrls.cluster);
    expect(cds.resources.map((c) => c['name'])).toEqual(['shop/cilium-ingress-shop-web/shop:web:8080']);
    const edsNames = valuesOf(cds.resources, ['service_name', 'serviceName']).map(String);
    expect(edsNames).toEqual(['shop/web:8080']);

    session.request(TypeUrls.routeConfiguration, routeNames);
    const rds = await session.next(TypeUrls.routeConfiguration, routeNames);
    expect(rds.resources.map((r) => r['name']).sort()).toEqual(routeNames);
    expect(JSON.stringify(rds.resources)).toContain('shop.example.com');

    session.request(TypeUrls.clusterLoadAssignment, edsNames);
    const eds = await session.next(TypeUrls.clusterLoadAssignment, edsNames);
    expect(valuesOf(eds.resources, ['address']).filter((a) => typeof a === 'string')).toEqual(['10.0.1.5']);
    expect(valuesOf(eds.resources, ['port_value', 'portValue'])).toEqual([3000]);

    session.request(TypeUrls.secret, secretNames);
    const sds = await session.next(TypeUrls.secret, secretNames);
    expect(sds.resources.map((s) => s['name'])).toEqual(['cilium-secrets/shop-shop-tls']);
    const chain = valuesOf(sds.resources, ['inline_bytes', 'inlineBytes']).map((b) =>
      Buffer.from(String(b), 'base64').toString('utf8'),
    );
    expect(chain).toEqual([first.crt, first.key]);

    const api = new ApiClient(path.join(stateDir, 'ciliary.sock'));
    const served = await api.get<{ address: string; resources: Json[]; clients: Json[] }>('/v1/envoy-config');
    expect(served.address).toBe(`unix://${socket}`);
    expect(served.resources).toContainEqual(
      expect.objectContaining({ type: 'Secret', name: 'cilium-secrets/shop-shop-tls' }),
    );
    expect(JSON.stringify(served)).not.toContain(b64(first.key));
    await waitFor(
      async () => {
        const { clients } = await api.get<{ clients: Array<{ types: Array<{ state: string }> }> }>(
          '/v1/envoy-config',
        );
        return clients[0]?.types.length === 5 && clients[0].types.every((t) => t.state === 'ACKED');
      },
      { description: 'every type to be ACKed' },
    );
  });

  test('a rotated Secret is pushed over SDS alone', async () => {
    const rotated = certificate('shop.example.com');
    writeFileSync(
      path.join(manifests, 'synced-secret.yaml'),
      yamlOf([tlsSecret('shop-shop-tls', 'cilium-secrets', rotated)]),
    );
    const sds = await session.next(TypeUrls.secret, ['cilium-secrets/shop-shop-tls']);
    const chain = valuesOf(sds.resources, ['inline_bytes', 'inlineBytes']).map((b) =>
      Buffer.from(String(b), 'base64').toString('utf8'),
    );
    expect(chain).toEqual([rotated.crt, rotated.key]);
    expect(session.unreadTypes()).toEqual([]);
  });

  test('a broken CEC update is reported and the previous version keeps being served', async () => {
    const cec = translation.envoyConfigs[0]!;
    const spec = cec['spec'] as Json;
    const broken = {
      ...cec,
      spec: {
        ...spec,
        resources: (spec['resources'] as Json[]).map((r) =>
          r['@type'] === TypeUrls.cluster ? { ...r, connectTimeout: 'soon' } : r,
        ),
      },
    };
    writeFileSync(
      path.join(manifests, 'ingress-output.yaml'),
      yamlOf([broken, ...translation.services, ...translation.endpoints]),
    );
    const api = new ApiClient(path.join(stateDir, 'ciliary.sock'));
    const status = await waitFor(
      async () => {
        const s = await api.get<{ subsystems: Array<{ name: string; state: string; message: string }> }>(
          '/v1/status',
        );
        const mine = s.subsystems.find((x) => x.name === 'envoy-config');
        return mine?.state === 'Degraded' ? mine : undefined;
      },
      { description: 'the problem to show in /v1/status' },
    );
    expect(status.message).toContain('CiliumEnvoyConfig shop/cilium-ingress-shop-web');
    const report = await api.get<{ problems: Json[]; heldBack: Json[]; resources: Json[] }>(
      '/v1/envoy-config',
    );
    expect(report.problems).toContainEqual(
      expect.objectContaining({
        document: 'CiliumEnvoyConfig shop/cilium-ingress-shop-web',
        path: expect.stringContaining('connectTimeout'),
      }),
    );
    expect(report.heldBack).toEqual([
      expect.objectContaining({ document: 'CiliumEnvoyConfig shop/cilium-ingress-shop-web' }),
    ]);
    const metrics = await (await fetch(`http://${agent!.metricsAddress}/metrics`)).text();
    const value = (series: string): number =>
      Number(
        metrics
          .split('\n')
          .find((line) => line.startsWith(`${series} `))
          ?.split(' ')[1] ?? NaN,
      );
    expect(value('ciliary_agent_envoy_config_held_back')).toBe(1);
    expect(value('ciliary_agent_envoy_config_problems')).toBeGreaterThan(0);
    expect(value('ciliary_agent_envoy_config_resources{type="Secret"}')).toBe(1);
    expect(value('ciliary_agent_xds_connected_streams')).toBe(1);
    expect(value('ciliary_agent_xds_acks_total{type="Secret"}')).toBe(2);
    expect(value('ciliary_agent_xds_acks_total{type="Listener"}')).toBe(1);
    // Still served, and nothing new pushed: the client keeps the configuration it has.
    expect(report.resources).toContainEqual(expect.objectContaining({ type: 'Listener' }));
    expect(session.unreadTypes()).toEqual([]);
    expect(existsSync(socket)).toBe(true);
  });
});

import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '@ciliary/core';
import { qualifiedName, TypeUrls, type Snapshot } from '@ciliary/service-mesh-translator';
import { isRecord } from '../model/fields';
import { Names } from '../translate/names';
import type { LoadBalancer } from '../translate/translate';
import { RouteEvaluator, type HttpRequest } from './evaluator';
import { certificateNamesOf, connectionManagerOf, selectFilterChain } from './filter-chains';

type Json = Record<string, unknown>;

/** A request as the command line takes it: a method, an absolute URL and extra headers. */
export interface IngressRequest {
  readonly method: string;
  readonly url: string;
  /** Extra headers; a `host` header replaces the URL's host in `:authority` (not in SNI). */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
}

/** What the load balancer does with one request. `status` is null when no HTTP response comes back. */
export interface RouteResult {
  readonly request: string;
  readonly status: number | null;
  /** The `NAMESPACE/SERVICE:PORT` the request is sent to. */
  readonly backend: string | null;
  /** A redirect's Location. */
  readonly location: string | null;
  /** The backend address Envoy's round-robin picks, when the backend has endpoints. */
  readonly endpoint: string | null;
  /** HTTPS only: the certificate served and whether it is valid for the requested host. */
  readonly tls?: { readonly certificate: string; readonly hostVerified: boolean | null };
  /** Why the request got no response, or an error status. */
  readonly reason?: string;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

interface ParsedRequest {
  readonly http: HttpRequest;
  readonly port: number;
  readonly serverName: string;
}

function parseRequest(request: IngressRequest): ParsedRequest | string {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return `"${request.url}" is not an absolute http:// or https:// URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `"${request.url}" is not http:// or https://`;
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const headers = new Map<string, string>();
  for (const [name, value] of request.headers ?? []) headers.set(name.toLowerCase(), value);
  const hostHeader = headers.get('host');
  headers.delete('host');
  const rawAuthority = /^[a-z]+:\/\/([^/?#]*)/i.exec(request.url)?.[1] ?? url.host;
  return {
    http: {
      scheme,
      method: request.method.toUpperCase(),
      authority: hostHeader ?? rawAuthority.replace(/^.*@/, ''),
      path: `${url.pathname}${url.search}`,
      headers,
    },
    port: url.port === '' ? (scheme === 'https' ? 443 : 80) : Number(url.port),
    serverName: url.hostname,
  };
}

/**
 * Sends requests through the generated configuration as a client of the
 * load balancer would: the Service port, the listener's filter chain (SNI and
 * TLS), the route configuration, then the cluster's endpoints with Envoy's
 * round-robin (state kept across requests, so repeated requests spread).
 */
export class IngressRouter {
  private readonly evaluator = new RouteEvaluator();
  private readonly roundRobin = new Map<string, number>();

  private readonly servicesByKey: ReadonlyMap<string, KubeObject>;

  constructor(
    private readonly snapshot: Snapshot,
    private readonly loadBalancers: readonly LoadBalancer[],
    services: readonly KubeObject[],
  ) {
    this.servicesByKey = new Map(
      services.map((s) => [`${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`, s]),
    );
  }

  /** The load balancer for `ingress` (`NAMESPACE/NAME`), or the only one there is. */
  loadBalancerFor(ingress?: string): LoadBalancer | string {
    if (ingress !== undefined) {
      const found = this.loadBalancers.find((lb) => lb.ingresses.includes(ingress));
      return found ?? `Ingress ${ingress} is not served by any load balancer`;
    }
    if (this.loadBalancers.length === 1) return this.loadBalancers[0]!;
    if (this.loadBalancers.length === 0) return 'no Ingress is served, so no load balancer answers';
    const names = this.loadBalancers.map((lb) => `${lb.service.namespace}/${lb.service.name}`).join(', ');
    return `${this.loadBalancers.length} load balancers (${names}): choose an Ingress`;
  }

  route(request: IngressRequest, loadBalancer: LoadBalancer | string): RouteResult {
    const label = `${request.method.toUpperCase()} ${request.url}`;
    const fail = (reason: string): RouteResult => outcome(label, null, { reason });
    if (typeof loadBalancer === 'string') return fail(loadBalancer);
    const parsed = parseRequest(request);
    if (typeof parsed === 'string') return fail(parsed);
    const portProblem = this.servicePortProblem(loadBalancer, parsed.port);
    if (portProblem) return fail(portProblem);
    const { namespace, name } = loadBalancer.envoyConfig;
    const listenerName = qualifiedName(namespace, name, Names.listener, true);
    const listener = this.snapshot.resource(TypeUrls.listener, listenerName)?.json;
    if (!listener) return fail(`listener ${listenerName} is not served (its CiliumEnvoyConfig was rejected)`);
    const tls = parsed.http.scheme === 'https';
    const chain = selectFilterChain(listener, { tls, serverName: parsed.serverName });
    if (!chain)
      return fail(
        tls ? `no TLS certificate for server name "${parsed.serverName}"` : 'no plain-HTTP filter chain',
      );
    const certificate = tls ? this.certificate(chain, parsed.serverName) : undefined;
    if (certificate && 'reason' in certificate) return fail(certificate.reason);
    const result = this.routeHttp(listener, chain, parsed.http, label);
    return certificate ? outcome(label, result.status, { ...result, tls: certificate }) : result;
  }

  private servicePortProblem(loadBalancer: LoadBalancer, port: number): string | undefined {
    const service = this.servicesByKey.get(`${loadBalancer.service.namespace}/${loadBalancer.service.name}`);
    const spec = service && isRecord(service['spec']) ? service['spec'] : {};
    if (records(spec['ports']).some((p) => p['port'] === port)) return undefined;
    return `Service ${loadBalancer.service.namespace}/${loadBalancer.service.name} has no port ${port}`;
  }

  private certificate(
    chain: Json,
    serverName: string,
  ): { certificate: string; hostVerified: boolean | null } | { reason: string } {
    const name = certificateNamesOf(chain)[0];
    if (name === undefined) return { reason: 'the TLS filter chain has no certificate' };
    const secret = this.snapshot.resource(TypeUrls.secret, name)?.json;
    const chainBytes = (secret?.['tlsCertificate'] as Json | undefined)?.['certificateChain'] as
      Json | undefined;
    if (!secret || typeof chainBytes?.['inlineBytes'] !== 'string')
      return { reason: `certificate ${name} is not served over SDS, so the TLS handshake fails` };
    try {
      const cert = new X509Certificate(Buffer.from(chainBytes['inlineBytes'], 'base64'));
      return { certificate: name, hostVerified: cert.checkHost(serverName) !== undefined };
    } catch {
      return { certificate: name, hostVerified: null };
    }
  }

  private routeHttp(listener: Json, chain: Json, request: HttpRequest, label: string): RouteResult {
    const hcm = connectionManagerOf(chain);
    const routes =
      hcm?.inline ??
      (hcm?.rds ? this.snapshot.resource(TypeUrls.routeConfiguration, hcm.rds)?.json : undefined);
    if (!routes)
      return outcome(label, null, {
        reason: `listener ${String(listener['name'])} has no route configuration`,
      });
    const decision = this.evaluator.evaluate(routes, request);
    switch (decision.action) {
      case 'not-found':
        return outcome(label, 404, { reason: decision.reason });
      case 'respond':
        return outcome(label, decision.status, {});
      case 'redirect':
        return outcome(label, decision.status, { location: decision.location });
      case 'forward':
        return this.forward(this.pickCluster(decision.clusters), label);
    }
  }

  private pickCluster(clusters: ReadonlyArray<{ name: string; weight: number }>): string {
    const total = clusters.reduce((sum, c) => sum + Math.max(0, c.weight), 0);
    if (clusters.length === 1 || total === 0) return clusters[0]?.name ?? '';
    const key = `weights:${clusters.map((c) => c.name).join(',')}`;
    let ticket = (this.roundRobin.get(key) ?? 0) % total;
    this.roundRobin.set(key, ticket + 1);
    for (const c of clusters) {
      ticket -= Math.max(0, c.weight);
      if (ticket < 0) return c.name;
    }
    return clusters[clusters.length - 1]!.name;
  }

  private forward(clusterName: string, label: string): RouteResult {
    const cluster = this.snapshot.resource(TypeUrls.cluster, clusterName)?.json;
    if (!cluster) return outcome(label, 503, { reason: `cluster ${clusterName} is not served` });
    const eds = isRecord(cluster['edsClusterConfig']) ? cluster['edsClusterConfig'] : {};
    const backend =
      typeof eds['serviceName'] === 'string' && eds['serviceName'] !== '' ? eds['serviceName'] : clusterName;
    const endpoints = endpointsOf(this.snapshot.resource(TypeUrls.clusterLoadAssignment, backend)?.json);
    if (endpoints.length === 0)
      return outcome(label, 503, {
        backend,
        reason: `no healthy upstream: ${backend} has no ready endpoints`,
      });
    const next = this.roundRobin.get(backend) ?? 0;
    this.roundRobin.set(backend, next + 1);
    return outcome(label, 200, { backend, endpoint: endpoints[next % endpoints.length]! });
  }
}

/** `ADDRESS:PORT` of every endpoint of a ClusterLoadAssignment, in order. */
function endpointsOf(assignment: Json | undefined): string[] {
  return records(assignment?.['endpoints']).flatMap((locality) =>
    records(locality['lbEndpoints']).flatMap((lb) => {
      const endpoint = isRecord(lb['endpoint']) ? lb['endpoint'] : {};
      const address = isRecord(endpoint['address']) ? endpoint['address'] : {};
      const socket = isRecord(address['socketAddress']) ? address['socketAddress'] : {};
      return typeof socket['address'] === 'string'
        ? [`${socket['address']}:${String(socket['portValue'] ?? 0)}`]
        : [];
    }),
  );
}

/** A result with its fields in the documented order. */
function outcome(
  request: string,
  status: number | null,
  rest: Partial<Omit<RouteResult, 'request' | 'status'>>,
): RouteResult {
  return {
    request,
    status,
    backend: rest.backend ?? null,
    location: rest.location ?? null,
    endpoint: rest.endpoint ?? null,
    ...(rest.tls ? { tls: rest.tls } : {}),
    ...(rest.reason !== undefined ? { reason: rest.reason } : {}),
  };
}

import { TypeUrls } from '@ciliary/service-mesh-translator';
import type { ServiceBackend } from '../model/ingress';
import type { KeepAlive } from '../model/options';
import { Names } from './names';
import type { TlsPlan } from './tls';
import type { PlannedRoute, PlannedVirtualHost } from './virtual-hosts';

type Json = Record<string, unknown>;

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TLS_INSPECTOR_TYPE =
  'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
const DOWNSTREAM_TLS_TYPE =
  'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/**
 * Exactly one DNS label before the wildcard host's suffix, with or without a
 * port (the virtual host is picked ignoring the port, the route sees it); `.`
 * is the only character of a DNS name RE2 treats specially.
 */
function hostRegex(wildcardHost: string): string {
  return `^[^.]+${wildcardHost.slice(1).replace(/\./g, '[.]')}(:[0-9]+)?$`;
}

function isWildcard(host: string | undefined): host is string {
  return host !== undefined && host.startsWith('*.');
}

/**
 * Domains of a host's virtual host. `host:*` also matches requests that carry
 * a port in the Host header. A wildcard host gets no `:*` form: Envoy reads a
 * domain starting with `*` as a suffix wildcard, so `*.foo.com:*` would only
 * match a Host ending in a literal `.foo.com:*`; its route configuration
 * ignores the port when picking the virtual host instead. Envoy's `*.foo.com`
 * matches any number of labels; the routes add an `:authority` regex for exactly one.
 */
export function domainsOf(host: string | undefined): string[] {
  if (host === undefined) return ['*'];
  if (isWildcard(host)) return [host];
  return [host, `${host}:*`];
}

function authorityMatch(host: string | undefined): Json {
  if (!isWildcard(host)) return {};
  return { headers: [{ name: ':authority', stringMatch: { safeRegex: { regex: hostRegex(host) } } }] };
}

function pathMatch(route: Pick<PlannedRoute, 'kind' | 'path'>): Json {
  if (route.kind === 'exact') return { path: route.path };
  // Envoy's path_separated_prefix matches `/foo` and `/foo/...`, never `/foobar`; it cannot be '/'.
  return route.path === '' ? { prefix: '/' } : { pathSeparatedPrefix: route.path };
}

function forward(backend: ServiceBackend): Json {
  return { cluster: Names.cluster(backend) };
}

function routesOf(vhost: PlannedVirtualHost): Json[] {
  const routes = vhost.routes.map((route) => ({
    match: { ...pathMatch(route), ...authorityMatch(vhost.host) },
    route: forward(route.backend),
  }));
  // A Prefix '/' rule already takes everything; the default backend would never be reached.
  const catchAll = vhost.routes.some((r) => r.kind === 'prefix' && r.path === '');
  if (vhost.defaultBackend && !catchAll)
    routes.push({
      match: { prefix: '/', ...authorityMatch(vhost.host) },
      route: forward(vhost.defaultBackend.backend),
    });
  return routes;
}

function virtualHost(host: string | undefined, routes: Json[]): Json {
  const domains = domainsOf(host);
  return { name: domains[0], domains, routes };
}

/**
 * The route configuration for HTTPS, and for plain HTTP with redirects (308)
 * for TLS hosts that enforce HTTPS. Envoy picks a wildcard host's virtual host
 * for names with more labels too (`a.b.foo.com` for `*.foo.com`); those
 * requests match none of its routes and go on to the catch-all host's routes,
 * repeated at its end, as if no rule had taken them.
 */
export function routeConfiguration(
  name: string,
  vhosts: readonly PlannedVirtualHost[],
  tls: TlsPlan | undefined,
): Json {
  const catchAll = vhosts.find((vhost) => vhost.host === undefined);
  const catchAllRoutes = catchAll ? routesOf(catchAll) : [];
  const routesFor = (vhost: PlannedVirtualHost): Json[] => {
    const own = tls?.httpsHosts.get(vhost.host)?.redirect
      ? [
          {
            match: { prefix: '/', ...authorityMatch(vhost.host) },
            redirect: { httpsRedirect: true, responseCode: 'PERMANENT_REDIRECT' },
          },
        ]
      : routesOf(vhost);
    return isWildcard(vhost.host) ? [...own, ...catchAllRoutes] : own;
  };
  const wildcards = vhosts.some((vhost) => isWildcard(vhost.host));
  return {
    name,
    virtualHosts: vhosts.map((vhost) => virtualHost(vhost.host, routesFor(vhost))),
    ...(wildcards ? { ignorePortInHostMatching: true } : {}),
  };
}

function connectionManager(routeConfigName: string): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM_TYPE,
      statPrefix: routeConfigName,
      rds: { routeConfigName },
      useRemoteAddress: true,
      httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER_TYPE } }],
    },
  };
}

/** Linux socket option numbers for TCP keep-alive. */
const SOL_SOCKET = 1;
const SO_KEEPALIVE = 9;
const IPPROTO_TCP = 6;
const TCP_KEEPIDLE = 4;
const TCP_KEEPINTVL = 5;
const TCP_KEEPCNT = 6;

function socketOptions(keepAlive: KeepAlive): Json[] {
  if (!keepAlive.enabled) return [];
  const option = (description: string, level: number, name: number, value: number): Json => ({
    description,
    level: String(level),
    name: String(name),
    intValue: String(value),
  });
  return [
    option('Enable TCP keep-alive', SOL_SOCKET, SO_KEEPALIVE, 1),
    option('TCP keep-alive idle time (in seconds)', IPPROTO_TCP, TCP_KEEPIDLE, keepAlive.idleSeconds),
    option(
      'TCP keep-alive probe interval (in seconds)',
      IPPROTO_TCP,
      TCP_KEEPINTVL,
      keepAlive.probeIntervalSeconds,
    ),
    option('TCP keep-alive probe max failures', IPPROTO_TCP, TCP_KEEPCNT, keepAlive.probeMaxFailures),
  ];
}

/**
 * The load balancer's listener: a plain-HTTP chain and one TLS chain per
 * certificate with its server names; the TLS inspector tells them apart. It
 * has no address: the agent gives it a proxy port and redirects the Service to it.
 */
export function listener(tls: TlsPlan, keepAlive: KeepAlive): Json {
  const chains: Json[] = [
    {
      filterChainMatch: { transportProtocol: 'raw_buffer' },
      filters: [connectionManager(Names.insecureRoutes)],
    },
    ...tls.chains.map((chain) => ({
      filterChainMatch: {
        ...(chain.serverNames.length > 0 ? { serverNames: chain.serverNames } : {}),
        transportProtocol: 'tls',
      },
      filters: [connectionManager(Names.secureRoutes)],
      transportSocket: {
        name: 'envoy.transport_sockets.tls',
        typedConfig: {
          '@type': DOWNSTREAM_TLS_TYPE,
          commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: chain.sdsName }] },
        },
      },
    })),
  ];
  const options = socketOptions(keepAlive);
  return {
    name: Names.listener,
    filterChains: chains,
    listenerFilters: [
      { name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': TLS_INSPECTOR_TYPE } },
    ],
    ...(options.length > 0 ? { socketOptions: options } : {}),
  };
}

/** An EDS cluster for one Service port, as Cilium configures it. */
export function cluster(backend: ServiceBackend): Json {
  return {
    name: Names.cluster(backend),
    type: 'EDS',
    edsClusterConfig: { serviceName: Names.assignment(backend) },
    connectTimeout: '5s',
    lbPolicy: 'ROUND_ROBIN',
    outlierDetection: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 2 },
  };
}

export function withType(typeUrl: string, json: Json): Json {
  return { '@type': typeUrl, ...json };
}

export { TypeUrls };

import { TypeUrls } from '../envoy/type-urls';
import {
  assignmentName,
  clusterLoadAssignment,
  type MeshService,
  type ServiceDirectory,
  type ServicePort,
} from '../eds/endpoints';
import { defaultRoutes, serviceCluster, type RouteSource } from '../proxyless/service-listeners';
import type { ResourceInput } from '../snapshot/build';
import {
  downstreamProtocolOptions,
  hostPrefix,
  httpFilter,
  inlineHttpFilter,
  redirectListener,
  tcpProxyFilter,
} from './envoy-parts';
import { selects, targetPortOf, type MeshPod } from './pods';
import { portProtocol, type PortProtocol } from './protocol';

type Json = Record<string, unknown>;

/** Ports of a sidecar Envoy's two listeners (the datapath redirects to them). */
export interface SidecarPorts {
  /** Connections the pod's applications open. */
  readonly outbound: number;
  /** Connections to the pod. */
  readonly inbound: number;
}

export const DEFAULT_SIDECAR_PORTS: SidecarPorts = { outbound: 15001, inbound: 15006 };

export const OUTBOUND_LISTENER = 'outbound';
export const INBOUND_LISTENER = 'inbound';
/** Where outbound connections to no mesh Service go: on, to the address dialed. */
export const PASSTHROUGH_CLUSTER = 'passthrough';

/** GAMMA routes as a namespace's clients see them, and which ports they make HTTP. */
export interface SidecarRouteSource {
  readonly routesFor: RouteSource;
  readonly routed: (service: MeshService, port: ServicePort) => boolean;
  /** Namespaces whose clients see other routes than the producers' (they hold consumer routes). */
  readonly consumerNamespaces: readonly string[];
}

/** The RDS name of a service port's outbound routes in a sidecar: `outbound/NAMESPACE/SERVICE:PORT`. */
export function outboundRouteName(namespace: string, service: string, port: number): string {
  return `outbound/${assignmentName(namespace, service, port)}`;
}

/** The document a sidecar's outbound listener is reported under (per consumer namespace, or shared). */
export function outboundListenerDocument(namespace: string | undefined): string {
  return namespace === undefined
    ? 'sidecar outbound listener'
    : `sidecar outbound listener for namespace ${namespace}`;
}

interface OutboundPort {
  readonly service: MeshService;
  readonly port: ServicePort;
  readonly protocol: PortProtocol;
  readonly cluster: string;
  readonly document: string;
}

/** Every TCP port of every Service with a cluster IP: what a sidecar can recognise by destination. */
function outboundPorts(directory: ServiceDirectory, routes: SidecarRouteSource): OutboundPort[] {
  return directory.all().flatMap((service) =>
    !service.routable || service.clusterIPs.length === 0
      ? []
      : service.ports
          .filter((p) => p.protocol === 'TCP')
          .map((port) => ({
            service,
            port,
            protocol: portProtocol(port, routes.routed(service, port)),
            cluster: assignmentName(service.namespace, service.name, port.port),
            document: `Service ${service.namespace}/${service.name}`,
          })),
  );
}

/**
 * What every sidecar in a namespace needs for outbound traffic, per Service
 * port: its EDS cluster and endpoints and, for HTTP ports, a route
 * configuration with the GAMMA routes the namespace's clients get (its
 * consumer routes, else the producer's; no namespace: the producers' routes).
 * Each belongs to its Service's document, so a broken Service is left out alone.
 */
export function sidecarServiceResources(
  directory: ServiceDirectory,
  namespace: string | undefined,
  routes: SidecarRouteSource,
): ResourceInput[] {
  return outboundPorts(directory, routes).flatMap(({ service, port, protocol, cluster, document }) => {
    const out: ResourceInput[] = [
      {
        typeUrl: TypeUrls.cluster,
        json: { ...serviceCluster(cluster), typedExtensionProtocolOptions: downstreamProtocolOptions() },
        document,
        camelCase: true,
      },
      {
        typeUrl: TypeUrls.clusterLoadAssignment,
        json: clusterLoadAssignment(cluster, directory.backendsOf(service.namespace, service.name, port)),
        document,
        camelCase: true,
      },
    ];
    if (protocol === 'http') {
      const name = outboundRouteName(service.namespace, service.name, port.port);
      const routeList = routes.routesFor(service, port, namespace) ?? defaultRoutes(cluster);
      out.push({
        typeUrl: TypeUrls.routeConfiguration,
        // One filter chain per service port, so any Host (name, short name, cluster IP) is this service.
        json: { name, virtualHosts: [{ name, domains: ['*'], routes: routeList }] },
        document,
        camelCase: true,
      });
    }
    return out;
  });
}

/**
 * The outbound listener: one filter chain per Service port, matched on the
 * cluster IP and port the application dialed, to the port's routes (HTTP) or
 * straight to its cluster (TCP); anything else passes through unchanged.
 * `include` leaves out the ports of Services whose resources were dropped.
 */
export function sidecarOutboundListener(
  directory: ServiceDirectory,
  namespace: string | undefined,
  routes: SidecarRouteSource,
  ports: SidecarPorts = DEFAULT_SIDECAR_PORTS,
  include: (serviceDocument: string) => boolean = () => true,
): ResourceInput[] {
  const document = outboundListenerDocument(namespace);
  const chains = outboundPorts(directory, routes)
    .filter((p) => include(p.document))
    .map(({ service, port, protocol, cluster }) => {
      const name = outboundRouteName(service.namespace, service.name, port.port);
      return {
        name,
        filterChainMatch: { prefixRanges: service.clusterIPs.map(hostPrefix), destinationPort: port.port },
        filters: [protocol === 'http' ? httpFilter(name, name) : tcpProxyFilter(name, cluster)],
      };
    });
  const passthrough = {
    name: PASSTHROUGH_CLUSTER,
    filters: [tcpProxyFilter(PASSTHROUGH_CLUSTER, PASSTHROUGH_CLUSTER)],
  };
  return [
    {
      typeUrl: TypeUrls.listener,
      json: redirectListener(OUTBOUND_LISTENER, ports.outbound, chains, passthrough),
      document,
      camelCase: true,
    },
    {
      typeUrl: TypeUrls.cluster,
      json: {
        name: PASSTHROUGH_CLUSTER,
        type: 'ORIGINAL_DST',
        lbPolicy: 'CLUSTER_PROVIDED',
        connectTimeout: '5s',
      },
      document,
      camelCase: true,
    },
  ];
}

/** The cluster name of a pod port as its own sidecar reaches it: `inbound/PORT`. */
export function inboundClusterName(port: number): string {
  return `inbound/${port}`;
}

/** The pod ports Services send traffic to, with how to proxy each. */
function inboundPorts(
  directory: ServiceDirectory,
  pod: MeshPod,
  routes: SidecarRouteSource,
): Map<number, PortProtocol> {
  const ports = new Map<number, PortProtocol>();
  for (const service of directory.all().filter((s) => selects(s, pod))) {
    for (const port of service.ports.filter((p) => p.protocol === 'TCP')) {
      const target = targetPortOf(port, pod);
      if (target === undefined) continue;
      const protocol = portProtocol(port, routes.routed(service, port));
      if (ports.get(target) !== 'http') ports.set(target, protocol);
    }
  }
  return new Map([...ports].sort(([a], [b]) => a - b));
}

/**
 * The inbound listener of one pod: a filter chain per pod port some Service
 * targets, to that port on the pod's loopback. Nothing when no Service selects
 * the pod (Envoy rejects a listener without filter chains).
 */
export function sidecarInboundResources(
  directory: ServiceDirectory,
  pod: MeshPod,
  routes: SidecarRouteSource,
  ports: SidecarPorts = DEFAULT_SIDECAR_PORTS,
): ResourceInput[] {
  const document = `Pod ${pod.namespace}/${pod.name}`;
  const targets = inboundPorts(directory, pod, routes);
  if (targets.size === 0) return [];
  const chains: Json[] = [];
  const clusters: ResourceInput[] = [];
  for (const [port, protocol] of targets) {
    const cluster = inboundClusterName(port);
    const route = {
      name: cluster,
      virtualHosts: [{ name: cluster, domains: ['*'], routes: defaultRoutes(cluster) }],
    };
    chains.push({
      name: cluster,
      filterChainMatch: { destinationPort: port },
      filters: [protocol === 'http' ? inlineHttpFilter(cluster, route) : tcpProxyFilter(cluster, cluster)],
    });
    clusters.push({
      typeUrl: TypeUrls.cluster,
      json: {
        name: cluster,
        type: 'STATIC',
        connectTimeout: '5s',
        loadAssignment: clusterLoadAssignment(cluster, [{ address: '127.0.0.1', port }]),
        typedExtensionProtocolOptions: downstreamProtocolOptions(),
      },
      document,
      camelCase: true,
    });
  }
  return [
    {
      typeUrl: TypeUrls.listener,
      json: redirectListener(INBOUND_LISTENER, ports.inbound, chains),
      document,
      camelCase: true,
    },
    ...clusters,
  ];
}

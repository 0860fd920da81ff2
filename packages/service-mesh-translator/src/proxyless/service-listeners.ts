import { TypeUrls } from '../envoy/type-urls';
import { ADS_CONFIG_SOURCE } from '../cec/inject';
import {
  assignmentName,
  clusterLoadAssignment,
  type MeshService,
  type ServiceDirectory,
  type ServicePort,
} from '../eds/endpoints';
import type { ResourceInput } from '../snapshot/build';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** The name a gRPC client dials (`xds:///NAME`) for a Service port: `SERVICE.NAMESPACE.svc.cluster.local:PORT`. */
export function proxylessListenerName(
  namespace: string,
  service: string,
  port: number,
  clusterDomain = 'cluster.local',
): string {
  return `${service}.${namespace}.svc.${clusterDomain}:${port}`;
}

/**
 * Routes for one service port's route configuration as clients in a namespace
 * see it: GAMMA routes when there are any, else (undefined) everything to the service.
 */
export type RouteSource = (
  service: MeshService,
  port: ServicePort,
  clientNamespace?: string,
) => Array<Record<string, unknown>> | undefined;

export interface ProxylessOptions {
  readonly clusterDomain?: string;
  /** Routes from GAMMA HTTPRoutes/GRPCRoutes; ports it returns nothing for get the default route. */
  readonly routes?: RouteSource;
  /** The namespace of the clients this view is for (its consumer routes apply); none: producer routes only. */
  readonly clientNamespace?: string;
}

/** The EDS cluster for a service port, named like its assignment (`NAMESPACE/SERVICE:PORT`). */
export function serviceCluster(name: string): Record<string, unknown> {
  return {
    name,
    type: 'EDS',
    connectTimeout: '5s',
    edsClusterConfig: { serviceName: name, edsConfig: { ...ADS_CONFIG_SOURCE } },
  };
}

/**
 * Proxyless gRPC: for every TCP port of every routable Service, a Listener
 * named `SERVICE.NAMESPACE.svc.cluster.local:PORT` whose api_listener is an
 * HttpConnectionManager (RDS, router filter), its RouteConfiguration (GAMMA
 * routes or a default route to the service), and the EDS cluster and
 * assignment of the port, so gRPC applications join the mesh without a proxy.
 */
export function proxylessResources(
  directory: ServiceDirectory,
  options: ProxylessOptions = {},
): ResourceInput[] {
  const out: ResourceInput[] = [];
  for (const service of directory.all()) {
    if (!service.routable) continue;
    const document = `Service ${service.namespace}/${service.name}`;
    for (const port of service.ports.filter((p) => p.protocol === 'TCP')) {
      const name = proxylessListenerName(service.namespace, service.name, port.port, options.clusterDomain);
      const cluster = assignmentName(service.namespace, service.name, port.port);
      const routes = options.routes?.(service, port, options.clientNamespace) ?? defaultRoutes(cluster);
      out.push(
        { typeUrl: TypeUrls.listener, json: apiListener(name), document, camelCase: true },
        {
          typeUrl: TypeUrls.routeConfiguration,
          json: {
            name,
            virtualHosts: [{ name, domains: [name, name.slice(0, name.lastIndexOf(':'))], routes }],
          },
          document,
          camelCase: true,
        },
        { typeUrl: TypeUrls.cluster, json: serviceCluster(cluster), document, camelCase: true },
        {
          typeUrl: TypeUrls.clusterLoadAssignment,
          json: clusterLoadAssignment(cluster, directory.backendsOf(service.namespace, service.name, port)),
          document,
          camelCase: true,
        },
      );
    }
  }
  return out;
}

/** Without GAMMA routes a service port routes everything to its own backends. */
export function defaultRoutes(cluster: string): Array<Record<string, unknown>> {
  return [{ match: { prefix: '' }, route: { cluster } }];
}

function apiListener(name: string): Record<string, unknown> {
  return {
    name,
    apiListener: {
      apiListener: {
        '@type': HCM,
        statPrefix: name,
        rds: { routeConfigName: name, configSource: { ...ADS_CONFIG_SOURCE } },
        httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }],
      },
    },
  };
}

/** The xDS v3 type URLs of the resources ciliary serves. */
export const TypeUrls = {
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  clusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

export type KnownTypeUrl = (typeof TypeUrls)[keyof typeof TypeUrls];

export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** The message name inside a type URL: everything after the last '/'. */
export function typeNameOfUrl(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

export function typeUrlOf(messageName: string): string {
  return `${TYPE_URL_PREFIX}${messageName}`;
}

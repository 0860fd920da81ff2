import type { ServicePort } from '../eds/endpoints';

/** How a sidecar handles a port: HTTP through the HTTP connection manager and routes, or plain TCP. */
export type PortProtocol = 'http' | 'tcp';

const HTTP_PROTOCOLS = new Set([
  'http',
  'http2',
  'h2c',
  'grpc',
  'grpc-web',
  'kubernetes.io/h2c',
  'kubernetes.io/ws',
]);

/**
 * A port speaks HTTP when a GAMMA route attaches to it (routes only exist for
 * HTTP and gRPC), when its `appProtocol` says so, or when its name does by
 * the usual `PROTOCOL[-SUFFIX]` convention (`http`, `http-web`, `grpc`,
 * `h2c`...). Anything else is proxied as TCP: guessing HTTP for a database
 * port would break it, guessing TCP for HTTP only loses the routes.
 */
export function portProtocol(port: ServicePort, routed: boolean): PortProtocol {
  if (routed) return 'http';
  if (port.appProtocol !== undefined)
    return HTTP_PROTOCOLS.has(port.appProtocol.toLowerCase()) ? 'http' : 'tcp';
  const prefix = port.name.toLowerCase().split('-')[0] ?? '';
  return HTTP_PROTOCOLS.has(prefix) ? 'http' : 'tcp';
}

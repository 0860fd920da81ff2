import { escapeRegex } from '../gamma/route-model';

function isWildcard(host: string): boolean {
  return host.startsWith('*.');
}

/** Whether `host` (possibly a wildcard) lies within `pattern` (possibly a wildcard). */
function within(host: string, pattern: string): boolean {
  if (host === pattern) return true;
  if (!isWildcard(pattern)) return false;
  const suffix = pattern.slice(1); // ".example.com"
  const bare = isWildcard(host) ? host.slice(2) : host;
  return bare.endsWith(suffix) && bare.length > suffix.length;
}

/**
 * Gateway API hostname intersection of a listener's hostname (none = any)
 * and a route's hostnames (none = any): the route hostnames inside the
 * listener's, or the listener's when it is the narrower. Empty result: the
 * route does not attach to this listener. `*` stands for "any host".
 */
export function intersectHostnames(listener: string | undefined, route: readonly string[]): string[] {
  if (!listener) return route.length === 0 ? ['*'] : [...route];
  if (route.length === 0) return [listener];
  const out = new Set<string>();
  for (const host of route) {
    if (within(host, listener)) out.add(host);
    else if (within(listener, host)) out.add(listener);
  }
  return [...out];
}

/** Envoy virtual host domains for a hostname: the host with and without a port. */
export function vhostDomains(host: string): string[] {
  return host === '*' ? ['*'] : [host, `${host}:*`];
}

/**
 * Envoy's `*.example.com` domain also matches `a.b.example.com`; Gateway API's
 * wildcard covers exactly one more label. Routes of a wildcard host get this
 * `:authority` check, as Cilium adds.
 */
export function wildcardAuthorityRegex(host: string): string | undefined {
  if (!isWildcard(host)) return undefined;
  const labels = host.slice(2).split('.').map(escapeRegex);
  return `^[^.]+[.]${labels.join('[.]')}(:[0-9]+)?$`;
}

import { isRecord } from '../util';
import { domainRank, fullMatch, headerMatches, stringMatches } from './matchers';

type Json = Record<string, unknown>;

/** A request as a router sees it. Header names are matched case-insensitively. */
export interface HttpRequest {
  readonly authority: string;
  /** The `:path`, query string included. */
  readonly path: string;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

interface Chosen {
  readonly virtualHost: string;
  /** Index of the route within its virtual host. */
  readonly route: number;
}

/** The request as forwarded, when the route rewrites it (path and query, authority). */
export interface Rewritten {
  readonly rewritten?: { readonly path: string; readonly authority: string };
}

/** What Envoy would do with the request. */
export type RouteDecision =
  | { readonly action: 'no-virtual-host' }
  | { readonly action: 'no-route'; readonly virtualHost: string }
  | (Chosen & Rewritten & { readonly action: 'cluster'; readonly cluster: string })
  | (Chosen &
      Rewritten & {
        readonly action: 'weighted-clusters';
        readonly clusters: ReadonlyArray<{ name: string; weight: number }>;
      })
  | (Chosen & { readonly action: 'redirect'; readonly redirect: Json })
  | (Chosen & { readonly action: 'direct-response'; readonly status: number })
  | (Chosen & { readonly action: 'other' });

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function headerValue(request: HttpRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === ':authority' || lower === 'host') return request.authority;
  if (lower === ':path') return request.path;
  if (lower === ':method') return request.method ?? 'GET';
  for (const [key, value] of Object.entries(request.headers ?? {}))
    if (key.toLowerCase() === lower) return typeof value === 'string' ? value : value.join(',');
  return undefined;
}

function pathMatches(match: Json, path: string): boolean {
  const caseSensitive = !(isRecord(match['caseSensitive'])
    ? match['caseSensitive']['value'] === false
    : match['caseSensitive'] === false);
  const bare = path.split('?')[0] ?? '';
  const norm = (s: string): string => (caseSensitive ? s : s.toLowerCase());
  if (typeof match['prefix'] === 'string') return norm(path).startsWith(norm(match['prefix']));
  if (typeof match['path'] === 'string') return norm(bare) === norm(match['path']);
  if (isRecord(match['safeRegex'])) return fullMatch(String(match['safeRegex']['regex'] ?? ''), bare);
  if (typeof match['pathSeparatedPrefix'] === 'string') {
    const p = norm(match['pathSeparatedPrefix']);
    return norm(bare) === p || norm(bare).startsWith(`${p}/`);
  }
  return false;
}

function queryMatches(matchers: Json[], path: string): boolean {
  const params = new URLSearchParams(path.includes('?') ? path.slice(path.indexOf('?') + 1) : '');
  return matchers.every((m) => {
    const value = params.get(String(m['name'] ?? ''));
    if (m['presentMatch'] === true) return value !== null;
    if (value === null) return false;
    return isRecord(m['stringMatch']) ? stringMatches(m['stringMatch'], value) : true;
  });
}

function routeMatches(route: Json, request: HttpRequest): boolean {
  const match = isRecord(route['match']) ? route['match'] : {};
  return (
    pathMatches(match, request.path) &&
    records(match['headers']).every((h) => headerMatches(h, headerValue(request, String(h['name'] ?? '')))) &&
    queryMatches(records(match['queryParameters']), request.path)
  );
}

/** An RE2 substitution (`\1` for a group) in JavaScript's replacement syntax (`$1`). */
function jsReplacement(substitution: string): string {
  return substitution
    .replace(/\$/g, '$$$$')
    .replace(/\\(\d|\\)/g, (_all, c: string) => (c === '\\' ? '\\' : `$${c}`));
}

/** The path and authority after the route action's rewrites (regex, prefix, host literal). */
function rewrite(route: Json, action: Json, request: HttpRequest): Rewritten {
  const query = request.path.includes('?') ? request.path.slice(request.path.indexOf('?')) : '';
  const bare = request.path.slice(0, request.path.length - query.length);
  let path = bare;
  const regex = isRecord(action['regexRewrite']) ? action['regexRewrite'] : undefined;
  const match = isRecord(route['match']) ? route['match'] : {};
  if (regex && isRecord(regex['pattern'])) {
    const pattern = new RegExp(String(regex['pattern']['regex'] ?? ''), 'g');
    path = bare.replace(pattern, jsReplacement(String(regex['substitution'] ?? '')));
  } else if (typeof action['prefixRewrite'] === 'string') {
    const matched = String(match['prefix'] ?? match['pathSeparatedPrefix'] ?? match['path'] ?? '');
    path = `${action['prefixRewrite']}${bare.slice(matched.length)}`;
  }
  const host = typeof action['hostRewriteLiteral'] === 'string' ? action['hostRewriteLiteral'] : undefined;
  if (path === bare && host === undefined) return {};
  return { rewritten: { path: `${path}${query}`, authority: host ?? request.authority } };
}

function decide(route: Json, chosen: Chosen, request: HttpRequest): RouteDecision {
  const action = isRecord(route['route']) ? route['route'] : undefined;
  if (action && typeof action['cluster'] === 'string')
    return { ...chosen, action: 'cluster', cluster: action['cluster'], ...rewrite(route, action, request) };
  if (action && isRecord(action['weightedClusters'])) {
    const clusters = records(action['weightedClusters']['clusters']).map((c) => ({
      name: String(c['name'] ?? ''),
      weight: Number(c['weight'] ?? 0),
    }));
    return { ...chosen, action: 'weighted-clusters', clusters, ...rewrite(route, action, request) };
  }
  if (isRecord(route['redirect'])) return { ...chosen, action: 'redirect', redirect: route['redirect'] };
  if (isRecord(route['directResponse']))
    return { ...chosen, action: 'direct-response', status: Number(route['directResponse']['status'] ?? 0) };
  return { ...chosen, action: 'other' };
}

/**
 * Which route of a RouteConfiguration (proto3 JSON) Envoy takes for a
 * request, and its action: the virtual host by Envoy's domain precedence,
 * then the first route whose path, headers and query parameters match.
 */
export function evaluateRoute(routeConfiguration: Json, request: HttpRequest): RouteDecision {
  let best: { vhost: Json; rank: number } | undefined;
  for (const vhost of records(routeConfiguration['virtualHosts'])) {
    for (const domain of (vhost['domains'] as unknown[] | undefined) ?? []) {
      const rank = domainRank(String(domain), request.authority);
      if (rank !== undefined && (!best || rank > best.rank)) best = { vhost, rank };
    }
  }
  if (!best) return { action: 'no-virtual-host' };
  const virtualHost = String(best.vhost['name'] ?? '');
  const routes = records(best.vhost['routes']);
  const index = routes.findIndex((route) => routeMatches(route, request));
  if (index < 0) return { action: 'no-route', virtualHost };
  return decide(routes[index]!, { virtualHost, route: index }, request);
}

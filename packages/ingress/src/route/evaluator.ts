import { matchHeader, matchQueryParameter, RegexCache } from './matchers';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** An HTTP request as Envoy's router sees it. */
export interface HttpRequest {
  readonly scheme: 'http' | 'https';
  readonly method: string;
  /** The Host header (`:authority`), possibly with a port. */
  readonly authority: string;
  /** `:path`: the path with its query string. */
  readonly path: string;
  /** Other headers by lower-case name. */
  readonly headers?: ReadonlyMap<string, string>;
}

/** What a RouteConfiguration does with a request. */
export type RouteDecision =
  | {
      readonly action: 'forward';
      readonly virtualHost: string;
      /** The clusters and their weights (one cluster: weight 1). */
      readonly clusters: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
    }
  | {
      readonly action: 'redirect';
      readonly virtualHost: string;
      readonly status: number;
      readonly location: string;
    }
  | { readonly action: 'respond'; readonly virtualHost: string; readonly status: number }
  | { readonly action: 'not-found'; readonly virtualHost: string | undefined; readonly reason: string };

const REDIRECT_CODES: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

/** The path without query string or fragment, as Envoy compares exact, regex and separated-prefix paths. */
export function pathOnly(path: string): string {
  const end = path.search(/[?#]/);
  return end < 0 ? path : path.slice(0, end);
}

/**
 * Decides what a RouteConfiguration (proto3 JSON) does with requests, with
 * Envoy's semantics for the fields the translators use: virtual host by domain
 * (exact, then the longest `*suffix`, then the longest `prefix*`, then `*`;
 * case-insensitive; without the port under `ignorePortInHostMatching`), then the first route whose path (prefix, path,
 * path_separated_prefix, safe_regex), headers and query parameters match;
 * actions route, redirect and direct_response.
 */
export class RouteEvaluator {
  private readonly regexes = new RegexCache();
  /** Domain lookups per route configuration, built on first use (configurations are immutable snapshots). */
  private readonly indexes = new WeakMap<readonly unknown[], DomainIndex>();

  evaluate(routeConfiguration: Json, request: HttpRequest): RouteDecision {
    const vhosts = Array.isArray(routeConfiguration['virtualHosts'])
      ? routeConfiguration['virtualHosts']
      : [];
    // `ignore_port_in_host_matching`: the port is dropped for picking the virtual host only.
    const host =
      routeConfiguration['ignorePortInHostMatching'] === true
        ? splitAuthority(request.authority)[0]
        : request.authority;
    const vhost = this.selectVirtualHost(vhosts, host);
    if (!vhost)
      return {
        action: 'not-found',
        virtualHost: undefined,
        reason: `no virtual host for "${request.authority}"`,
      };
    const name = String(vhost['name'] ?? '');
    const headers = new Map(request.headers ?? []);
    headers.set(':authority', request.authority);
    headers.set(':path', request.path);
    headers.set(':method', request.method);
    headers.set(':scheme', request.scheme);
    const route = records(vhost['routes']).find((r) => this.routeMatches(r, request, headers));
    if (!route)
      return { action: 'not-found', virtualHost: name, reason: `no route in virtual host ${name} matches` };
    return this.act(route, name, request);
  }

  selectVirtualHost(vhosts: readonly Json[], authority: string): Json | undefined {
    return this.domainIndex(vhosts).lookup(authority.toLowerCase());
  }

  private domainIndex(vhosts: readonly Json[]): DomainIndex {
    let index = this.indexes.get(vhosts);
    if (!index) {
      index = new DomainIndex(vhosts);
      this.indexes.set(vhosts, index);
    }
    return index;
  }

  private routeMatches(route: Json, request: HttpRequest, headers: ReadonlyMap<string, string>): boolean {
    const match = isRecord(route['match']) ? route['match'] : {};
    if (!this.pathMatches(match, request.path)) return false;
    if (!records(match['headers']).every((h) => matchHeader(h, headers, this.regexes))) return false;
    if (!Array.isArray(match['queryParameters'])) return true;
    const queryAt = request.path.indexOf('?');
    const query = new URLSearchParams(queryAt < 0 ? '' : request.path.slice(queryAt + 1));
    return records(match['queryParameters']).every((q) => matchQueryParameter(q, query, this.regexes));
  }

  private pathMatches(match: Json, fullPath: string): boolean {
    const caseSensitive = match['caseSensitive'] !== false;
    const fold = (s: string): string => (caseSensitive ? s : s.toLowerCase());
    const path = pathOnly(fullPath);
    if (typeof match['prefix'] === 'string') return fold(fullPath).startsWith(fold(match['prefix']));
    if (typeof match['path'] === 'string') return fold(path) === fold(match['path']);
    if (typeof match['pathSeparatedPrefix'] === 'string') {
      const prefix = fold(match['pathSeparatedPrefix']);
      const folded = fold(path);
      return folded.startsWith(prefix) && (folded.length === prefix.length || folded[prefix.length] === '/');
    }
    if (isRecord(match['safeRegex']) && typeof match['safeRegex']['regex'] === 'string')
      return this.regexes.fullMatch(match['safeRegex']['regex'], path);
    return false;
  }

  private act(route: Json, virtualHost: string, request: HttpRequest): RouteDecision {
    if (isRecord(route['redirect'])) return this.redirect(route['redirect'], route, virtualHost, request);
    if (isRecord(route['directResponse']))
      return { action: 'respond', virtualHost, status: Number(route['directResponse']['status'] ?? 0) };
    const action = isRecord(route['route']) ? route['route'] : {};
    if (typeof action['cluster'] === 'string')
      return { action: 'forward', virtualHost, clusters: [{ name: action['cluster'], weight: 1 }] };
    const weighted = isRecord(action['weightedClusters'])
      ? records(action['weightedClusters']['clusters'])
      : [];
    if (weighted.length > 0)
      return {
        action: 'forward',
        virtualHost,
        clusters: weighted.map((c) => ({ name: String(c['name'] ?? ''), weight: Number(c['weight'] ?? 0) })),
      };
    if (typeof action['clusterHeader'] === 'string') {
      const name = request.headers?.get(action['clusterHeader'].toLowerCase());
      if (name) return { action: 'forward', virtualHost, clusters: [{ name, weight: 1 }] };
    }
    // Envoy answers a route without a usable cluster with 503 (or 404 for a missing cluster header).
    return { action: 'respond', virtualHost, status: 503 };
  }

  private redirect(redirect: Json, route: Json, virtualHost: string, request: HttpRequest): RouteDecision {
    const scheme =
      redirect['httpsRedirect'] === true
        ? 'https'
        : typeof redirect['schemeRedirect'] === 'string'
          ? redirect['schemeRedirect']
          : request.scheme;
    const [originalHost, originalPort] = splitAuthority(request.authority);
    let host = typeof redirect['hostRedirect'] === 'string' ? redirect['hostRedirect'] : originalHost;
    let port = typeof redirect['hostRedirect'] === 'string' ? undefined : originalPort;
    // Changing the scheme drops a port that was only the old scheme's default.
    if (scheme !== request.scheme && (port === '80' || port === '443')) port = undefined;
    if (typeof redirect['portRedirect'] === 'number' && redirect['portRedirect'] > 0)
      port = String(redirect['portRedirect']);
    if (port !== undefined) host = `${host}:${port}`;
    const path = this.redirectPath(redirect, route, request.path);
    const status = REDIRECT_CODES[String(redirect['responseCode'] ?? 'MOVED_PERMANENTLY')] ?? 301;
    return { action: 'redirect', virtualHost, status, location: `${scheme}://${host}${path}` };
  }

  private redirectPath(redirect: Json, route: Json, fullPath: string): string {
    const queryAt = fullPath.indexOf('?');
    const query = queryAt < 0 || redirect['stripQuery'] === true ? '' : fullPath.slice(queryAt);
    const path = pathOnly(fullPath);
    if (typeof redirect['pathRedirect'] === 'string')
      return redirect['pathRedirect'].includes('?')
        ? redirect['pathRedirect']
        : `${redirect['pathRedirect']}${query}`;
    const match = isRecord(route['match']) ? route['match'] : {};
    if (typeof redirect['prefixRewrite'] === 'string') {
      const matched = String(match['prefix'] ?? match['pathSeparatedPrefix'] ?? match['path'] ?? '');
      return `${redirect['prefixRewrite']}${path.slice(matched.length)}${query}`;
    }
    return `${path}${query}`;
  }
}

/** `host:port` into its parts; IPv6 literals keep their brackets. */
export function splitAuthority(authority: string): [string, string | undefined] {
  const match = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!match) return [authority, undefined];
  return [match[1] ?? authority, match[2] === undefined || match[2] === '' ? undefined : match[2]];
}

/**
 * Envoy's virtual host lookup: exact domains in a map, then `*suffix`
 * wildcards longest first, then `prefix*` wildcards longest first, then `*`.
 * A wildcard never matches the empty string. Domains compare case-insensitively.
 */
class DomainIndex {
  private readonly exact = new Map<string, Json>();
  private readonly suffixes: Array<{ tail: string; vhost: Json }> = [];
  private readonly prefixes: Array<{ head: string; vhost: Json }> = [];
  private readonly fallback: Json | undefined;

  constructor(vhosts: readonly unknown[]) {
    let fallback: Json | undefined;
    for (const vhost of records(vhosts)) {
      for (const raw of Array.isArray(vhost['domains']) ? vhost['domains'] : []) {
        const domain = String(raw).toLowerCase();
        if (domain === '*') fallback ??= vhost;
        else if (domain.startsWith('*')) this.suffixes.push({ tail: domain.slice(1), vhost });
        else if (domain.endsWith('*')) this.prefixes.push({ head: domain.slice(0, -1), vhost });
        else if (!this.exact.has(domain)) this.exact.set(domain, vhost);
      }
    }
    this.suffixes.sort((a, b) => b.tail.length - a.tail.length);
    this.prefixes.sort((a, b) => b.head.length - a.head.length);
    this.fallback = fallback;
  }

  lookup(host: string): Json | undefined {
    const exact = this.exact.get(host);
    if (exact) return exact;
    const suffix = this.suffixes.find((s) => host.length > s.tail.length && host.endsWith(s.tail));
    if (suffix) return suffix.vhost;
    const prefix = this.prefixes.find((p) => host.length > p.head.length && host.startsWith(p.head));
    return prefix?.vhost ?? this.fallback;
  }
}

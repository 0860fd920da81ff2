import {
  escapeRegex,
  type HeaderModifier,
  type RouteMatch,
  type RouteRule,
  type StringMatch,
} from './route-model';

type Json = Record<string, unknown>;

/** Gateway API's PathPrefix matches whole segments: `/foo` matches `/foo`, `/foo/x`, not `/foobar`. */
function pathMatch(match: RouteMatch): Json {
  const { type, value } = match.path;
  if (type === 'Exact') return { path: value };
  if (type === 'RegularExpression') return { safeRegex: { regex: value } };
  const trimmed = value.replace(/\/+$/, '');
  if (trimmed === '') return { prefix: '/' };
  return { safeRegex: { regex: `${escapeRegex(trimmed)}(/.*)?` } };
}

function stringMatcher(match: StringMatch): Json {
  return match.type === 'Exact' ? { exact: match.value } : { safeRegex: { regex: match.value } };
}

/**
 * Header matchers use the older exact_match/safe_regex_match fields: Envoy
 * still takes them, and gRPC C-core clients of Debian's age NACK string_match.
 */
function headerMatcher(match: StringMatch): Json {
  return match.type === 'Exact'
    ? { name: match.name.toLowerCase(), exactMatch: match.value }
    : { name: match.name.toLowerCase(), safeRegexMatch: { regex: match.value } };
}

function envoyMatch(match: RouteMatch): Json {
  const headers = match.headers.map(headerMatcher);
  if (match.method !== undefined) headers.push({ name: ':method', exactMatch: match.method });
  const queryParameters = match.queryParams.map((q) => ({ name: q.name, stringMatch: stringMatcher(q) }));
  return {
    ...pathMatch(match),
    ...(headers.length > 0 ? { headers } : {}),
    ...(queryParameters.length > 0 ? { queryParameters } : {}),
  };
}

function headerOptions(modifier: HeaderModifier | undefined): Json {
  if (!modifier) return {};
  const add = [
    ...modifier.set.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
    })),
    ...modifier.add.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: 'APPEND_IF_EXISTS_OR_ADD',
    })),
  ];
  return {
    ...(add.length > 0 ? { requestHeadersToAdd: add } : {}),
    ...(modifier.remove.length > 0 ? { requestHeadersToRemove: modifier.remove } : {}),
  };
}

/** A resolved backend of a rule: the cluster it goes to and its weight. */
export interface WeightedCluster {
  readonly cluster: string;
  readonly weight: number;
}

/**
 * One Envoy route for one match of one rule. Backends that did not resolve are
 * left out; with none left (or none given) the request gets a 500, as Gateway
 * API asks.
 */
export function envoyRoute(rule: RouteRule, match: RouteMatch, clusters: readonly WeightedCluster[]): Json {
  const base: Json = { match: envoyMatch(match), ...headerOptions(rule.requestHeaderModifier) };
  const redirect = rule.requestRedirect;
  if (redirect) {
    return {
      ...base,
      redirect: {
        ...(redirect.scheme !== undefined ? { schemeRedirect: redirect.scheme } : {}),
        ...(redirect.hostname !== undefined ? { hostRedirect: redirect.hostname } : {}),
        ...(redirect.port !== undefined ? { portRedirect: redirect.port } : {}),
        // Envoy's default (0) is 301; Gateway API's default is 302.
        ...(redirect.statusCode === 302 ? { responseCode: 'FOUND' } : {}),
      },
    };
  }
  const weighted = clusters.filter((c) => c.weight > 0);
  if (weighted.length === 0) return { ...base, directResponse: { status: 500 } };
  if (weighted.length === 1) return { ...base, route: { cluster: weighted[0]!.cluster } };
  return {
    ...base,
    route: { weightedClusters: { clusters: weighted.map((c) => ({ name: c.cluster, weight: c.weight })) } },
  };
}

/** Gateway API precedence among matches: exact paths, then longer prefixes, methods, more headers, more query params. */
export function precedenceKey(match: RouteMatch): number[] {
  const typeRank = match.path.type === 'Exact' ? 0 : match.path.type === 'PathPrefix' ? 1 : 2;
  return [
    typeRank,
    -match.path.value.length,
    match.method !== undefined ? 0 : 1,
    -match.headers.length,
    -match.queryParams.length,
  ];
}

export function compareKeys(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

import {
  escapeRegex,
  type HeaderModifier,
  type PathModifier,
  type RequestRedirect,
  type RouteMatch,
  type RouteRule,
  type RuleTimeouts,
  type StringMatch,
  type UrlRewrite,
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

function headerEntries(modifier: HeaderModifier): Json[] {
  return [
    ...modifier.set.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD',
    })),
    ...modifier.add.map((h) => ({
      header: { key: h.name, value: h.value },
      appendAction: 'APPEND_IF_EXISTS_OR_ADD',
    })),
  ];
}

function headerOptions(modifier: HeaderModifier | undefined, side: 'request' | 'response'): Json {
  if (!modifier) return {};
  const add = headerEntries(modifier);
  return {
    ...(add.length > 0 ? { [`${side}HeadersToAdd`]: add } : {}),
    ...(modifier.remove.length > 0 ? { [`${side}HeadersToRemove`]: modifier.remove } : {}),
  };
}

/** RE2 substitutions treat a backslash as an escape (`\1` names a group): literal ones are doubled. */
function substitution(text: string): string {
  return text.replace(/\\/g, '\\\\');
}

/**
 * A Gateway API path modifier as Envoy's regex_rewrite (so the query string
 * is kept). ReplacePrefixMatch swaps the matched prefix, a whole segment
 * sequence: with prefix `/p` and replacement `/r`, `/p/x` becomes `/r/x` and
 * `/p` becomes `/r`; with replacement `/`, `/p/x` becomes `/x` and `/p` `/`.
 */
function pathRewrite(modifier: PathModifier, match: RouteMatch): Json | undefined {
  if (modifier.type === 'ReplaceFullPath')
    return { pattern: { regex: '^/.*$' }, substitution: substitution(modifier.value) };
  const prefix = match.path.value.replace(/\/+$/, '');
  const replacement = modifier.value.replace(/\/+$/, '');
  if (prefix === '')
    return replacement === ''
      ? undefined
      : { pattern: { regex: '^/' }, substitution: `${substitution(replacement)}/` };
  if (replacement === '') return { pattern: { regex: `^${escapeRegex(prefix)}/*` }, substitution: '/' };
  return { pattern: { regex: `^${escapeRegex(prefix)}` }, substitution: substitution(replacement) };
}

function redirectAction(redirect: RequestRedirect, match: RouteMatch): Json {
  const rewrite = redirect.path ? pathRewrite(redirect.path, match) : undefined;
  return {
    ...(redirect.scheme !== undefined ? { schemeRedirect: redirect.scheme } : {}),
    ...(redirect.hostname !== undefined ? { hostRedirect: redirect.hostname } : {}),
    ...(redirect.port !== undefined ? { portRedirect: redirect.port } : {}),
    ...(rewrite ? { regexRewrite: rewrite } : {}),
    // Envoy's default (0) is 301; Gateway API's default is 302.
    ...(redirect.statusCode === 302 ? { responseCode: 'FOUND' } : {}),
  };
}

function rewriteOptions(rewrite: UrlRewrite | undefined, match: RouteMatch): Json {
  if (!rewrite) return {};
  const path = rewrite.path ? pathRewrite(rewrite.path, match) : undefined;
  return {
    ...(rewrite.hostname !== undefined ? { hostRewriteLiteral: rewrite.hostname } : {}),
    ...(path ? { regexRewrite: path } : {}),
  };
}

/** Mirrors as Envoy's request_mirror_policies; a share below 100% as a runtime fraction. */
function mirrorOptions(mirrors: readonly MirrorCluster[]): Json {
  if (mirrors.length === 0) return {};
  return {
    requestMirrorPolicies: mirrors.map(({ cluster, percent }) => {
      if (percent >= 100) return { cluster };
      const fraction = Number.isInteger(percent)
        ? { numerator: percent, denominator: 'HUNDRED' }
        : { numerator: Math.round(percent * 10_000), denominator: 'MILLION' };
      return { cluster, runtimeFraction: { defaultValue: fraction } };
    }),
  };
}

/**
 * `timeouts.request` bounds the whole exchange (the route timeout);
 * `backendRequest` one try of it (the retry policy's per-try timeout, with no
 * retry conditions, so nothing is retried because of it).
 */
function timeoutOptions(timeouts: RuleTimeouts | undefined): Json {
  if (!timeouts) return {};
  return {
    ...(timeouts.request !== undefined ? { timeout: timeouts.request } : {}),
    ...(timeouts.backendRequest !== undefined
      ? { retryPolicy: { perTryTimeout: timeouts.backendRequest } }
      : {}),
  };
}

/** A resolved backend of a rule: the cluster it goes to and its weight. */
export interface WeightedCluster {
  readonly cluster: string;
  readonly weight: number;
}

/** A resolved RequestMirror target. */
export interface MirrorCluster {
  readonly cluster: string;
  readonly percent: number;
}

/** Where a rule sends requests and copies of them, resolved to cluster names. */
export interface RuleClusters {
  readonly clusters: readonly WeightedCluster[];
  readonly mirrors: readonly MirrorCluster[];
}

/**
 * One Envoy route for one match of one rule. Backends that did not resolve are
 * left out; with none left (or none given) the request gets a 500, as Gateway
 * API asks.
 */
export function envoyRoute(rule: RouteRule, match: RouteMatch, backends: RuleClusters): Json {
  const base: Json = {
    match: envoyMatch(match),
    ...headerOptions(rule.requestHeaderModifier, 'request'),
    ...headerOptions(rule.responseHeaderModifier, 'response'),
  };
  if (rule.requestRedirect) return { ...base, redirect: redirectAction(rule.requestRedirect, match) };
  const weighted = backends.clusters.filter((c) => c.weight > 0);
  if (weighted.length === 0) return { ...base, directResponse: { status: 500 } };
  const target =
    weighted.length === 1
      ? { cluster: weighted[0]!.cluster }
      : { weightedClusters: { clusters: weighted.map((c) => ({ name: c.cluster, weight: c.weight })) } };
  return {
    ...base,
    route: {
      ...target,
      ...rewriteOptions(rule.urlRewrite, match),
      ...mirrorOptions(backends.mirrors),
      ...timeoutOptions(rule.timeouts),
    },
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

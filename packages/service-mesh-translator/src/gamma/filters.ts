import { isRecord } from '../util';

// HTTPRoute/GRPCRoute rule filters and timeouts (Gateway API v1), validated.

export interface HeaderModifier {
  readonly set: ReadonlyArray<{ name: string; value: string }>;
  readonly add: ReadonlyArray<{ name: string; value: string }>;
  readonly remove: readonly string[];
}

/** A path modifier of URLRewrite and RequestRedirect. */
export type PathModifier =
  | { readonly type: 'ReplaceFullPath'; readonly value: string }
  | { readonly type: 'ReplacePrefixMatch'; readonly value: string };

export interface RequestRedirect {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly path?: PathModifier;
  readonly statusCode: number;
}

export interface UrlRewrite {
  readonly hostname?: string;
  readonly path?: PathModifier;
}

/** A RequestMirror filter's backend, before it is resolved to a cluster. */
export interface MirrorRef {
  readonly ref: unknown;
  /** JSON path of the backendRef, for problems found when it is read. */
  readonly path: string;
  /** Share of requests mirrored, in percent (100 when unset). */
  readonly percent: number;
}

/** Timeouts as proto3 JSON durations ("1.500s"); "0s" turns a timeout off. */
export interface RuleTimeouts {
  readonly request?: string;
  readonly backendRequest?: string;
}

export interface RuleFilters {
  requestHeaderModifier?: HeaderModifier;
  responseHeaderModifier?: HeaderModifier;
  requestRedirect?: RequestRedirect;
  urlRewrite?: UrlRewrite;
  mirrors: MirrorRef[];
}

type Problem = (path: string, message: string) => void;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Filters each kind of route accepts; all but RequestMirror at most once per rule. */
const FILTERS_OF = {
  HTTPRoute: [
    'RequestHeaderModifier',
    'ResponseHeaderModifier',
    'RequestRedirect',
    'URLRewrite',
    'RequestMirror',
  ],
  GRPCRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror'],
} as const;

/**
 * Reads a rule's `filters`. `singlePrefixMatch` says whether the rule has
 * exactly one match, a PathPrefix one, which ReplacePrefixMatch needs.
 */
export function parseFilters(
  kind: 'HTTPRoute' | 'GRPCRoute',
  filters: unknown[],
  path: string,
  singlePrefixMatch: boolean,
  problem: Problem,
): RuleFilters {
  const out: RuleFilters = { mirrors: [] };
  const seen = new Set<string>();
  filters.forEach((raw, i) => {
    const p = `${path}/${i}`;
    const filter = isRecord(raw) ? raw : {};
    const type = String(filter['type']);
    if (!(FILTERS_OF[kind] as readonly string[]).includes(type))
      return problem(`${p}/type`, `filter ${type} is not supported for ${kind}s`);
    if (type !== 'RequestMirror' && seen.has(type))
      return problem(`${p}/type`, `${type} may appear only once`);
    seen.add(type);
    if (type === 'RequestHeaderModifier')
      out.requestHeaderModifier = parseHeaderModifier(filter['requestHeaderModifier']);
    else if (type === 'ResponseHeaderModifier')
      out.responseHeaderModifier = parseHeaderModifier(filter['responseHeaderModifier']);
    else if (type === 'RequestRedirect')
      out.requestRedirect = parseRedirect(
        filter['requestRedirect'],
        `${p}/requestRedirect`,
        singlePrefixMatch,
        problem,
      );
    else if (type === 'URLRewrite')
      out.urlRewrite = parseRewrite(filter['urlRewrite'], `${p}/urlRewrite`, singlePrefixMatch, problem);
    else out.mirrors.push(parseMirror(filter['requestMirror'], `${p}/requestMirror`, problem));
  });
  if (out.requestRedirect && out.urlRewrite)
    problem(path, 'RequestRedirect and URLRewrite cannot be used on the same rule');
  return out;
}

function parseHeaderModifier(value: unknown): HeaderModifier {
  const v = isRecord(value) ? value : {};
  const pairs = (x: unknown): Array<{ name: string; value: string }> =>
    (Array.isArray(x) ? x : [])
      .filter(isRecord)
      .map((h) => ({ name: String(h['name']), value: String(h['value']) }));
  return {
    set: pairs(v['set']),
    add: pairs(v['add']),
    remove: (Array.isArray(v['remove']) ? v['remove'] : []).map(String),
  };
}

function parsePathModifier(
  value: unknown,
  path: string,
  singlePrefixMatch: boolean,
  problem: Problem,
): PathModifier | undefined {
  if (value === undefined) return undefined;
  const v = isRecord(value) ? value : {};
  const type = str(v['type']);
  if (type === 'ReplaceFullPath') {
    const full = str(v['replaceFullPath']);
    if (full === undefined || !full.startsWith('/'))
      problem(`${path}/replaceFullPath`, 'must be a path starting with /');
    return { type, value: full ?? '/' };
  }
  if (type === 'ReplacePrefixMatch') {
    const prefix = str(v['replacePrefixMatch']);
    if (prefix === undefined || !prefix.startsWith('/'))
      problem(`${path}/replacePrefixMatch`, 'must be a path starting with /');
    if (!singlePrefixMatch)
      problem(path, 'ReplacePrefixMatch needs a rule with exactly one match, of type PathPrefix');
    return { type, value: prefix ?? '/' };
  }
  problem(`${path}/type`, 'must be ReplaceFullPath or ReplacePrefixMatch');
  return undefined;
}

function parseRedirect(
  value: unknown,
  path: string,
  singlePrefixMatch: boolean,
  problem: Problem,
): RequestRedirect {
  const v = isRecord(value) ? value : {};
  const statusCode = num(v['statusCode']) ?? 302;
  if (statusCode !== 301 && statusCode !== 302) problem(`${path}/statusCode`, 'must be 301 or 302');
  const scheme = str(v['scheme']);
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https')
    problem(`${path}/scheme`, 'must be http or https');
  const hostname = str(v['hostname']);
  const port = num(v['port']);
  const pathModifier = parsePathModifier(v['path'], `${path}/path`, singlePrefixMatch, problem);
  return {
    statusCode,
    ...(scheme !== undefined ? { scheme } : {}),
    ...(hostname !== undefined ? { hostname } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(pathModifier ? { path: pathModifier } : {}),
  };
}

function parseRewrite(
  value: unknown,
  path: string,
  singlePrefixMatch: boolean,
  problem: Problem,
): UrlRewrite {
  const v = isRecord(value) ? value : {};
  const hostname = str(v['hostname']);
  const pathModifier = parsePathModifier(v['path'], `${path}/path`, singlePrefixMatch, problem);
  return { ...(hostname !== undefined ? { hostname } : {}), ...(pathModifier ? { path: pathModifier } : {}) };
}

function parseMirror(value: unknown, path: string, problem: Problem): MirrorRef {
  const v = isRecord(value) ? value : {};
  if (!isRecord(v['backendRef'])) problem(`${path}/backendRef`, 'is required');
  const percent = v['percent'];
  const fraction = isRecord(v['fraction']) ? v['fraction'] : undefined;
  if (percent !== undefined && fraction !== undefined)
    problem(path, 'percent and fraction cannot both be set');
  if (percent !== undefined) {
    if (num(percent) === undefined || (percent as number) < 0 || (percent as number) > 100)
      problem(`${path}/percent`, 'must be an integer from 0 to 100');
    return { ref: v['backendRef'], path: `${path}/backendRef`, percent: num(percent) ?? 100 };
  }
  if (fraction) {
    const numerator = num(fraction['numerator']);
    const denominator = fraction['denominator'] === undefined ? 100 : num(fraction['denominator']);
    if (
      numerator === undefined ||
      denominator === undefined ||
      denominator < 1 ||
      numerator < 0 ||
      numerator > denominator
    ) {
      problem(`${path}/fraction`, 'needs 0 <= numerator <= denominator, denominator at least 1');
      return { ref: v['backendRef'], path: `${path}/backendRef`, percent: 100 };
    }
    return { ref: v['backendRef'], path: `${path}/backendRef`, percent: (numerator / denominator) * 100 };
  }
  return { ref: v['backendRef'], path: `${path}/backendRef`, percent: 100 };
}

const GATEWAY_DURATION = /^([0-9]{1,5}(h|m|s|ms)){1,4}$/;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Gateway API's duration format (GEP-2257: "1h30m", "500ms", "0s") in milliseconds; undefined when malformed. */
export function gatewayDurationMs(text: string): number | undefined {
  if (!GATEWAY_DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/([0-9]+)(h|ms|m|s)/g))
    total += Number(amount) * UNIT_MS[unit!]!;
  return total;
}

/** Milliseconds as a proto3 JSON Duration. */
export function protoDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0')}s`;
}

/** An HTTPRoute rule's `timeouts`: request (whole exchange) and backendRequest (one try), backendRequest ≤ request. */
export function parseTimeouts(value: unknown, path: string, problem: Problem): RuleTimeouts | undefined {
  if (value === undefined) return undefined;
  const v = isRecord(value) ? value : {};
  const read = (field: 'request' | 'backendRequest'): number | undefined => {
    const text = v[field];
    if (text === undefined) return undefined;
    const ms = typeof text === 'string' ? gatewayDurationMs(text) : undefined;
    if (ms === undefined) problem(`${path}/${field}`, 'must be a duration such as "10s", "1m30s" or "500ms"');
    return ms;
  };
  const request = read('request');
  const backendRequest = read('backendRequest');
  if (request !== undefined && backendRequest !== undefined && request !== 0 && backendRequest > request)
    problem(`${path}/backendRequest`, 'must not be longer than the request timeout');
  return {
    ...(request !== undefined ? { request: protoDuration(request) } : {}),
    ...(backendRequest !== undefined ? { backendRequest: protoDuration(backendRequest) } : {}),
  };
}

import type { Issue, KubeObject } from '@ciliary/core';
import { isRecord } from '../util';
import {
  parseFilters,
  parseTimeouts,
  type HeaderModifier,
  type RequestRedirect,
  type RuleTimeouts,
  type UrlRewrite,
} from './filters';

export type { HeaderModifier, PathModifier, RequestRedirect, RuleTimeouts, UrlRewrite } from './filters';

/** Gateway API v1 HTTPRoute/GRPCRoute fields the mesh uses, after validation. */
export interface ParentRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port?: number;
  readonly sectionName?: string;
}

export interface BackendRef {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly port?: number;
  readonly weight: number;
}

export interface StringMatch {
  readonly type: 'Exact' | 'RegularExpression';
  readonly name: string;
  readonly value: string;
}

export type PathMatch = {
  readonly type: 'Exact' | 'PathPrefix' | 'RegularExpression';
  readonly value: string;
};

export interface RouteMatch {
  readonly path: PathMatch;
  readonly headers: readonly StringMatch[];
  readonly queryParams: readonly StringMatch[];
  readonly method?: string;
}

/** A RequestMirror filter: where copies of requests go, and what share of them. */
export interface RequestMirror {
  readonly backend: BackendRef;
  /** Percent of requests mirrored (0-100). */
  readonly percent: number;
}

export interface RouteRule {
  readonly matches: readonly RouteMatch[];
  readonly backendRefs: readonly BackendRef[];
  readonly requestHeaderModifier?: HeaderModifier;
  readonly responseHeaderModifier?: HeaderModifier;
  readonly requestRedirect?: RequestRedirect;
  readonly urlRewrite?: UrlRewrite;
  readonly mirrors: readonly RequestMirror[];
  readonly timeouts?: RuleTimeouts;
}

export interface MeshRoute {
  readonly kind: 'HTTPRoute' | 'GRPCRoute';
  readonly namespace: string;
  readonly name: string;
  readonly document: string;
  readonly creationTimestamp: string;
  /** `spec.hostnames`; empty means any host. */
  readonly hostnames: readonly string[];
  readonly parentRefs: readonly ParentRef[];
  readonly rules: readonly RouteRule[];
}

type Problem = (path: string, message: string) => void;

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/** Validates an HTTPRoute or GRPCRoute; every problem is reported with its path. */
export function parseMeshRoute(object: KubeObject, document: string, issues: Issue[]): MeshRoute | undefined {
  const before = issues.length;
  const problem: Problem = (path, message) => void issues.push({ document, path, message });
  const kind = object.kind === 'GRPCRoute' ? 'GRPCRoute' : 'HTTPRoute';
  const namespace = object.metadata.namespace ?? 'default';
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  if (!isRecord(object['spec'])) problem('/spec', 'must be an object');
  const parentRefs = list(spec['parentRefs']).flatMap((ref, i) => {
    const parsed = parseParentRef(ref, `/spec/parentRefs/${i}`, namespace, problem);
    return parsed ? [parsed] : [];
  });
  const rawRules = spec['rules'] === undefined ? [{}] : list(spec['rules']);
  const rules = rawRules.map((rule, i) => parseRule(kind, rule, `/spec/rules/${i}`, namespace, problem));
  if (issues.length > before) return undefined;
  return {
    kind,
    namespace,
    name: object.metadata.name ?? '',
    document,
    creationTimestamp: object.metadata.creationTimestamp ?? '',
    hostnames: list(spec['hostnames']).map(String),
    parentRefs,
    rules,
  };
}

function parseParentRef(
  ref: unknown,
  path: string,
  namespace: string,
  problem: Problem,
): ParentRef | undefined {
  if (!isRecord(ref) || !str(ref['name'])) {
    problem(`${path}/name`, 'is required');
    return undefined;
  }
  const port = num(ref['port']);
  const sectionName = str(ref['sectionName']);
  return {
    ...(sectionName !== undefined ? { sectionName } : {}),
    group: str(ref['group']) ?? 'gateway.networking.k8s.io',
    kind: str(ref['kind']) ?? 'Gateway',
    namespace: str(ref['namespace']) ?? namespace,
    name: str(ref['name'])!,
    ...(port !== undefined ? { port } : {}),
  };
}

function parseRule(
  kind: MeshRoute['kind'],
  rule: unknown,
  path: string,
  namespace: string,
  problem: Problem,
): RouteRule {
  const r = isRecord(rule) ? rule : {};
  const rawMatches = list(r['matches']);
  const matches =
    rawMatches.length === 0
      ? [{ path: { type: 'PathPrefix' as const, value: '/' }, headers: [], queryParams: [] }]
      : rawMatches.map((m, i) =>
          kind === 'GRPCRoute'
            ? parseGrpcMatch(m, `${path}/matches/${i}`, problem)
            : parseHttpMatch(m, `${path}/matches/${i}`, problem),
        );
  const backendRefs = list(r['backendRefs']).flatMap((ref, i) => {
    const parsed = parseBackendRef(ref, `${path}/backendRefs/${i}`, namespace, problem);
    return parsed ? [parsed] : [];
  });
  const singlePrefixMatch = matches.length === 1 && matches[0]!.path.type === 'PathPrefix';
  const filters = parseFilters(kind, list(r['filters']), `${path}/filters`, singlePrefixMatch, problem);
  const mirrors = filters.mirrors.flatMap((mirror) => {
    const backend = isRecord(mirror.ref)
      ? parseBackendRef(mirror.ref, mirror.path, namespace, problem)
      : undefined;
    return backend ? [{ backend, percent: mirror.percent }] : [];
  });
  const timeouts =
    kind === 'HTTPRoute' ? parseTimeouts(r['timeouts'], `${path}/timeouts`, problem) : undefined;
  return {
    matches,
    backendRefs,
    mirrors,
    ...(filters.requestHeaderModifier ? { requestHeaderModifier: filters.requestHeaderModifier } : {}),
    ...(filters.responseHeaderModifier ? { responseHeaderModifier: filters.responseHeaderModifier } : {}),
    ...(filters.requestRedirect ? { requestRedirect: filters.requestRedirect } : {}),
    ...(filters.urlRewrite ? { urlRewrite: filters.urlRewrite } : {}),
    ...(timeouts ? { timeouts } : {}),
  };
}

function parseBackendRef(
  ref: unknown,
  path: string,
  namespace: string,
  problem: Problem,
): BackendRef | undefined {
  if (!isRecord(ref) || !str(ref['name'])) {
    problem(`${path}/name`, 'is required');
    return undefined;
  }
  const weight = ref['weight'] === undefined ? 1 : num(ref['weight']);
  if (weight === undefined || weight < 0 || weight > 1_000_000)
    problem(`${path}/weight`, 'must be an integer from 0 to 1000000');
  const port = num(ref['port']);
  const group = str(ref['group']) ?? '';
  const refKind = str(ref['kind']) ?? 'Service';
  if (group === '' && refKind === 'Service' && port === undefined)
    problem(`${path}/port`, 'is required when referring to a Service');
  return {
    group,
    kind: refKind,
    namespace: str(ref['namespace']) ?? namespace,
    name: str(ref['name'])!,
    weight: weight ?? 1,
    ...(port !== undefined ? { port } : {}),
  };
}

function parseStringMatches(value: unknown, path: string, problem: Problem): StringMatch[] {
  return list(value).flatMap((m, i) => {
    if (!isRecord(m) || !str(m['name']) || typeof m['value'] !== 'string') {
      problem(`${path}/${i}`, 'needs a name and a value');
      return [];
    }
    const type = str(m['type']) ?? 'Exact';
    if (type !== 'Exact' && type !== 'RegularExpression') {
      problem(`${path}/${i}/type`, `must be Exact or RegularExpression`);
      return [];
    }
    return [{ type, name: str(m['name'])!, value: m['value'] as string }];
  });
}

function parseHttpMatch(match: unknown, path: string, problem: Problem): RouteMatch {
  const m = isRecord(match) ? match : {};
  const rawPath = isRecord(m['path']) ? m['path'] : {};
  const type = str(rawPath['type']) ?? 'PathPrefix';
  const value = str(rawPath['value']) ?? '/';
  if (type !== 'Exact' && type !== 'PathPrefix' && type !== 'RegularExpression')
    problem(`${path}/path/type`, 'must be Exact, PathPrefix or RegularExpression');
  if (type !== 'RegularExpression' && !value.startsWith('/'))
    problem(`${path}/path/value`, 'must start with /');
  const method = str(m['method']);
  return {
    path: { type: type as PathMatch['type'], value },
    headers: parseStringMatches(m['headers'], `${path}/headers`, problem),
    queryParams: parseStringMatches(m['queryParams'], `${path}/queryParams`, problem),
    ...(method !== undefined ? { method } : {}),
  };
}

/** A gRPC method match is a path match: `/SERVICE/METHOD`. */
function parseGrpcMatch(match: unknown, path: string, problem: Problem): RouteMatch {
  const m = isRecord(match) ? match : {};
  const method = isRecord(m['method']) ? m['method'] : {};
  const service = str(method['service']);
  const name = str(method['method']);
  const type = str(method['type']) ?? 'Exact';
  const headers = parseStringMatches(m['headers'], `${path}/headers`, problem);
  if (type === 'RegularExpression')
    return {
      path: { type: 'RegularExpression', value: `/${service ?? '[^/]+'}/${name ?? '[^/]+'}` },
      headers,
      queryParams: [],
    };
  if (service && name)
    return { path: { type: 'Exact', value: `/${service}/${name}` }, headers, queryParams: [] };
  if (service) return { path: { type: 'PathPrefix', value: `/${service}` }, headers, queryParams: [] };
  if (name)
    return {
      path: { type: 'RegularExpression', value: `/[^/]+/${escapeRegex(name)}` },
      headers,
      queryParams: [],
    };
  return { path: { type: 'PathPrefix', value: '/' }, headers, queryParams: [] };
}

export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

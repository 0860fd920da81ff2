import type { Issue, KubeObject } from '@ciliary/core';
import { assignmentName, type MeshService, type ServiceDirectory, type ServicePort } from '../eds/endpoints';
import { byCodePoint, isRecord } from '../util';
import { compareKeys, envoyRoute, precedenceKey, type WeightedCluster } from './envoy-routes';
import {
  parseMeshRoute,
  type BackendRef,
  type MeshRoute,
  type ParentRef,
  type RouteMatch,
  type RouteRule,
} from './route-model';

/** A status condition as Gateway API writes it on a route's `status.parents[]`. */
export interface RouteCondition {
  readonly type: 'Accepted' | 'ResolvedRefs';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface RouteParentStatus {
  readonly route: string;
  readonly parentRef: ParentRef;
  readonly conditions: readonly RouteCondition[];
}

export interface GammaRoutes {
  /** Envoy routes for one service port, or undefined when no GAMMA route attaches to it. */
  readonly routesFor: (service: MeshService, port: ServicePort) => Array<Record<string, unknown>> | undefined;
  readonly statuses: RouteParentStatus[];
  readonly issues: Issue[];
}

interface Attachment {
  readonly route: MeshRoute;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  readonly rule: RouteRule;
  readonly match: RouteMatch;
  readonly clusters: WeightedCluster[];
}

function isServiceParent(ref: ParentRef): boolean {
  return ref.kind === 'Service' && (ref.group === '' || ref.group === 'core');
}

/**
 * GAMMA: HTTPRoutes and GRPCRoutes whose parentRef is a Service shape the
 * routes of that Service's proxyless route configuration. Only producer routes
 * (in the Service's namespace) attach: the proxyless snapshot is shared by all
 * clients. Cross-namespace backends need a ReferenceGrant.
 */
export function gammaRouteSource(
  objects: readonly KubeObject[],
  directory: ServiceDirectory,
  documentOf: (object: KubeObject) => string,
  referenceGrants: readonly KubeObject[] = objects.filter((o) => o.kind === 'ReferenceGrant'),
): GammaRoutes {
  const issues: Issue[] = [];
  const statuses: RouteParentStatus[] = [];
  const byServicePort = new Map<string, Attachment[]>();
  const routes = objects
    .filter((o) => o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute')
    .flatMap((o) => {
      const parsed = parseMeshRoute(o, documentOf(o), issues);
      return parsed ? [parsed] : [];
    });
  for (const route of routes) {
    for (const parent of route.parentRefs.filter(isServiceParent)) {
      const status = attach(route, parent, directory, referenceGrants, byServicePort);
      statuses.push({
        route: `${route.kind} ${route.namespace}/${route.name}`,
        parentRef: parent,
        conditions: status.conditions,
      });
      issues.push(
        ...status.problems.map((message) => ({ document: route.document, path: '/spec', message })),
      );
    }
  }
  return {
    routesFor: (service, port) => {
      const attached = byServicePort.get(`${service.namespace}/${service.name}:${port.port}`);
      if (!attached) return undefined;
      return [...attached].sort(compareAttachments).map((a) => envoyRoute(a.rule, a.match, a.clusters));
    },
    statuses,
    issues,
  };
}

function condition(
  type: RouteCondition['type'],
  ok: boolean,
  reason: string,
  message: string,
): RouteCondition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

function attach(
  route: MeshRoute,
  parent: ParentRef,
  directory: ServiceDirectory,
  grants: readonly KubeObject[],
  byServicePort: Map<string, Attachment[]>,
): { conditions: RouteCondition[]; problems: string[] } {
  const service = directory.service(parent.namespace, parent.name);
  const problems: string[] = [];
  if (!service) {
    const message = `parent Service ${parent.namespace}/${parent.name} does not exist`;
    return { conditions: [condition('Accepted', false, 'NoMatchingParent', message)], problems: [message] };
  }
  if (parent.namespace !== route.namespace) {
    const message =
      'consumer routes (in another namespace than the Service) are not supported by the shared proxyless snapshot';
    return {
      conditions: [condition('Accepted', false, 'NotAllowedByListeners', message)],
      problems: [message],
    };
  }
  const ports = service.ports.filter(
    (p) => p.protocol === 'TCP' && (parent.port === undefined || p.port === parent.port),
  );
  if (ports.length === 0) {
    const message = `Service ${parent.namespace}/${parent.name} has no TCP port ${parent.port ?? ''}`.trim();
    return { conditions: [condition('Accepted', false, 'NoMatchingParent', message)], problems: [message] };
  }
  let resolved = condition('ResolvedRefs', true, 'ResolvedRefs', 'all backend references resolved');
  route.rules.forEach((rule, ruleIndex) => {
    const clusters = rule.backendRefs.flatMap((ref) => {
      const result = resolveBackend(route, ref, directory, grants);
      if (typeof result === 'string') return [{ cluster: result, weight: ref.weight }];
      problems.push(result.message);
      resolved = condition('ResolvedRefs', false, result.reason, result.message);
      return [];
    });
    rule.matches.forEach((match, matchIndex) => {
      for (const port of ports) {
        const key = `${service.namespace}/${service.name}:${port.port}`;
        const list = byServicePort.get(key) ?? [];
        list.push({ route, ruleIndex, matchIndex, rule, match, clusters });
        byServicePort.set(key, list);
      }
    });
  });
  return {
    conditions: [condition('Accepted', true, 'Accepted', 'route attached to the Service'), resolved],
    problems,
  };
}

function resolveBackend(
  route: MeshRoute,
  ref: BackendRef,
  directory: ServiceDirectory,
  grants: readonly KubeObject[],
): string | { reason: string; message: string } {
  if (!(ref.kind === 'Service' && (ref.group === '' || ref.group === 'core')))
    return { reason: 'InvalidKind', message: `backend kind ${ref.group}/${ref.kind} is not supported` };
  if (ref.namespace !== route.namespace && !granted(route, ref, grants))
    return {
      reason: 'RefNotPermitted',
      message: `no ReferenceGrant in ${ref.namespace} allows ${route.kind}s from ${route.namespace} to Service ${ref.name}`,
    };
  const service = directory.service(ref.namespace, ref.name);
  if (!service || !service.ports.some((p) => p.port === ref.port))
    return {
      reason: 'BackendNotFound',
      message: `backend Service ${ref.namespace}/${ref.name} port ${ref.port ?? ''} does not exist`,
    };
  return assignmentName(ref.namespace, ref.name, ref.port);
}

function granted(route: MeshRoute, ref: BackendRef, grants: readonly KubeObject[]): boolean {
  return grants.some((grant) => {
    if ((grant.metadata.namespace ?? 'default') !== ref.namespace) return false;
    const spec = isRecord(grant['spec']) ? grant['spec'] : {};
    const from = Array.isArray(spec['from']) ? spec['from'].filter(isRecord) : [];
    const to = Array.isArray(spec['to']) ? spec['to'].filter(isRecord) : [];
    const fromOk = from.some(
      (f) =>
        f['group'] === 'gateway.networking.k8s.io' &&
        f['kind'] === route.kind &&
        f['namespace'] === route.namespace,
    );
    const toOk = to.some(
      (t) =>
        (t['group'] ?? '') === '' &&
        t['kind'] === 'Service' &&
        (t['name'] === undefined || t['name'] === ref.name),
    );
    return fromOk && toOk;
  });
}

/** Precedence, then the older route, then the route's name, then rule and match order. */
function compareAttachments(a: Attachment, b: Attachment): number {
  return (
    compareKeys(precedenceKey(a.match), precedenceKey(b.match)) ||
    byCodePoint(a.route.creationTimestamp, b.route.creationTimestamp) ||
    byCodePoint(`${a.route.namespace}/${a.route.name}`, `${b.route.namespace}/${b.route.name}`) ||
    a.ruleIndex - b.ruleIndex ||
    a.matchIndex - b.matchIndex
  );
}

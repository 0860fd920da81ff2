import type { Issue, KubeObject } from '@ciliary/core';
import { type MeshService, type ServiceDirectory, type ServicePort } from '../eds/endpoints';
import { resolveBackend } from './backends';
import { envoyRoute, type WeightedCluster } from './envoy-routes';
import { compareMatches } from './route-order';
import {
  parseMeshRoute,
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
      return [...attached].sort(compareMatches).map((a) => envoyRoute(a.rule, a.match, a.clusters));
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

import type { Issue, KubeObject } from '@ciliary/core';
import { type MeshService, type ServiceDirectory, type ServicePort } from '../eds/endpoints';
import { resolveRuleBackends } from './backends';
import { envoyRoute, type RuleClusters } from './envoy-routes';
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
  /**
   * Envoy routes for one service port as clients in `clientNamespace` see it,
   * or undefined when no GAMMA route attaches to it for them. Without a
   * namespace: the producer routes, which every other client sees.
   */
  readonly routesFor: (
    service: MeshService,
    port: ServicePort,
    clientNamespace?: string,
  ) => Array<Record<string, unknown>> | undefined;
  /** Namespaces holding consumer routes: their clients see the mesh differently. */
  readonly consumerNamespaces: readonly string[];
  /** Whether any route (producer or consumer) attaches to the port: the port speaks HTTP. */
  readonly routed: (service: MeshService, port: ServicePort) => boolean;
  readonly statuses: RouteParentStatus[];
  readonly issues: Issue[];
}

interface Attachment {
  readonly route: MeshRoute;
  readonly ruleIndex: number;
  readonly matchIndex: number;
  readonly rule: RouteRule;
  readonly match: RouteMatch;
  readonly backends: RuleClusters;
}

function isServiceParent(ref: ParentRef): boolean {
  return ref.kind === 'Service' && (ref.group === '' || ref.group === 'core');
}

/**
 * GAMMA: HTTPRoutes and GRPCRoutes whose parentRef is a Service shape the
 * routes of that Service port. A producer route (in the Service's namespace)
 * applies to every client. A consumer route (in another namespace) applies
 * only to clients in its own namespace, and there it replaces the producer
 * routes: route groups do not merge (GEP-1294, "Multiple routes for a
 * Service"). Cross-namespace backends need a ReferenceGrant.
 */
export function gammaRouteSource(
  objects: readonly KubeObject[],
  directory: ServiceDirectory,
  documentOf: (object: KubeObject) => string,
  referenceGrants: readonly KubeObject[] = objects.filter((o) => o.kind === 'ReferenceGrant'),
): GammaRoutes {
  const issues: Issue[] = [];
  const statuses: RouteParentStatus[] = [];
  const attachments = new Map<string, Attachment[]>();
  const consumerNamespaces = new Set<string>();
  const routes = objects
    .filter((o) => o.kind === 'HTTPRoute' || o.kind === 'GRPCRoute')
    .flatMap((o) => {
      const parsed = parseMeshRoute(o, documentOf(o), issues);
      return parsed ? [parsed] : [];
    });
  for (const route of routes) {
    for (const parent of route.parentRefs.filter(isServiceParent)) {
      const status = attach(route, parent, directory, referenceGrants, attachments);
      if (status.attached && parent.namespace !== route.namespace) consumerNamespaces.add(route.namespace);
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
  const envoyRoutes = (attached: Attachment[]): Array<Record<string, unknown>> =>
    [...attached].sort(compareMatches).map((a) => envoyRoute(a.rule, a.match, a.backends));
  return {
    routesFor: (service, port, clientNamespace) => {
      const consumer =
        clientNamespace !== undefined && clientNamespace !== service.namespace
          ? attachments.get(attachmentKey(clientNamespace, service, port.port))
          : undefined;
      const chosen = consumer ?? attachments.get(attachmentKey(service.namespace, service, port.port));
      return chosen ? envoyRoutes(chosen) : undefined;
    },
    consumerNamespaces: [...consumerNamespaces].sort(),
    routed: (service, port) =>
      [...attachments.keys()].some((key) =>
        key.endsWith(`|${service.namespace}/${service.name}:${port.port}`),
      ),
    statuses,
    issues,
  };
}

/** Attachments are grouped by the namespace of their routes and the service port they attach to. */
function attachmentKey(
  routeNamespace: string,
  service: { namespace: string; name: string },
  port: number,
): string {
  return `${routeNamespace}|${service.namespace}/${service.name}:${port}`;
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
  attachments: Map<string, Attachment[]>,
): { attached: boolean; conditions: RouteCondition[]; problems: string[] } {
  const service = directory.service(parent.namespace, parent.name);
  const problems: string[] = [];
  if (!service) {
    const message = `parent Service ${parent.namespace}/${parent.name} does not exist`;
    return {
      attached: false,
      conditions: [condition('Accepted', false, 'NoMatchingParent', message)],
      problems: [message],
    };
  }
  const ports = service.ports.filter(
    (p) => p.protocol === 'TCP' && (parent.port === undefined || p.port === parent.port),
  );
  if (ports.length === 0) {
    const message = `Service ${parent.namespace}/${parent.name} has no TCP port ${parent.port ?? ''}`.trim();
    return {
      attached: false,
      conditions: [condition('Accepted', false, 'NoMatchingParent', message)],
      problems: [message],
    };
  }
  let resolved = condition('ResolvedRefs', true, 'ResolvedRefs', 'all backend references resolved');
  route.rules.forEach((rule, ruleIndex) => {
    const backends = resolveRuleBackends(route, rule, directory, grants);
    for (const failed of backends.unresolved) {
      problems.push(failed.message);
      resolved = condition('ResolvedRefs', false, failed.reason, failed.message);
    }
    rule.matches.forEach((match, matchIndex) => {
      for (const port of ports) {
        const key = attachmentKey(route.namespace, service, port.port);
        const list = attachments.get(key) ?? [];
        list.push({ route, ruleIndex, matchIndex, rule, match, backends });
        attachments.set(key, list);
      }
    });
  });
  const accepted =
    parent.namespace === route.namespace
      ? 'producer route attached to the Service'
      : `consumer route attached to the Service for clients in namespace ${route.namespace}`;
  return {
    attached: true,
    conditions: [condition('Accepted', true, 'Accepted', accepted), resolved],
    problems,
  };
}

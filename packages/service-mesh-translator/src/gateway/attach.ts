import type { MeshRoute, ParentRef } from '../gamma/route-model';
import type { RouteCondition } from '../gamma/gamma';
import { intersectHostnames } from './hostnames';
import { selectorMatches } from './label-selector';
import type { Gateway, GatewayListener } from './model';

/** Labels of a namespace by name; Kubernetes labels each with `kubernetes.io/metadata.name`. */
export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>>;

/** Whether a listener's allowedRoutes.namespaces admits routes from a namespace. */
export function namespaceAllowed(
  listener: GatewayListener,
  gateway: Gateway,
  routeNamespace: string,
  labelsOf: NamespaceLabels,
): boolean {
  const allowed = listener.allowedNamespaces;
  if (allowed === 'All') return true;
  if (allowed === 'Same') return routeNamespace === gateway.namespace;
  return selectorMatches(allowed.selector, labelsOf(routeNamespace));
}

/** Where a route attached on one Gateway: per listener, the hostnames it serves there. */
export interface GatewayAttachment {
  readonly listener: GatewayListener;
  readonly hostnames: readonly string[];
}

export type AttachResult =
  | { readonly accepted: true; readonly attachments: GatewayAttachment[] }
  | { readonly accepted: false; readonly condition: RouteCondition };

function refused(reason: string, message: string): AttachResult {
  return { accepted: false, condition: { type: 'Accepted', status: 'False', reason, message } };
}

export function isGatewayParent(ref: ParentRef, gateway: Gateway): boolean {
  return (
    ref.kind === 'Gateway' &&
    ref.group === 'gateway.networking.k8s.io' &&
    ref.name === gateway.name &&
    ref.namespace === gateway.namespace
  );
}

/**
 * Gateway API attachment of a route to a Gateway through one parentRef: the
 * listeners named by sectionName/port, that allow the route's namespace and
 * kind, and whose hostname intersects the route's hostnames.
 */
export function attachRoute(
  route: MeshRoute,
  hostnames: readonly string[],
  parent: ParentRef,
  gateway: Gateway,
  labelsOf: NamespaceLabels,
): AttachResult {
  const named = gateway.listeners.filter(
    (l) =>
      (parent.sectionName === undefined || l.name === parent.sectionName) &&
      (parent.port === undefined || l.port === parent.port),
  );
  if (named.length === 0)
    return refused('NoMatchingParent', 'no listener matches the sectionName/port of the parentRef');
  const allowed = named.filter(
    (l) => namespaceAllowed(l, gateway, route.namespace, labelsOf) && l.allowedKinds.includes(route.kind),
  );
  if (allowed.length === 0)
    return refused(
      'NotAllowedByListeners',
      `no listener allows ${route.kind}s from namespace ${route.namespace}`,
    );
  const attachments = allowed
    .map((listener) => ({ listener, hostnames: intersectHostnames(listener.hostname, hostnames) }))
    .filter((a) => a.hostnames.length > 0);
  if (attachments.length === 0)
    return refused('NoMatchingListenerHostname', 'no listener hostname intersects the route hostnames');
  return { accepted: true, attachments };
}

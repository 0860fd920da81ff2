import type { Ingress, ServiceBackend } from '../model/ingress';
import { sameBackend } from './names';
import { ingressKey, ingressRef, type IngressProblem } from './problems';

/** One path of one Ingress, as it will be matched. */
export interface PlannedRoute {
  /** Exact paths match whole and case-sensitively; prefixes match whole segments. */
  readonly kind: 'exact' | 'prefix';
  /** The exact path, or the prefix without trailing slashes ('' matches every path). */
  readonly path: string;
  readonly backend: ServiceBackend;
  readonly ingress: Ingress;
}

/** The routes for one host (undefined: every host), in the order Envoy tries them. */
export interface PlannedVirtualHost {
  readonly host: string | undefined;
  readonly routes: readonly PlannedRoute[];
  /** Where requests that match no path go: the Ingress's default backend. */
  readonly defaultBackend: { readonly backend: ServiceBackend; readonly ingress: Ingress } | undefined;
}

interface Candidate extends PlannedRoute {
  readonly order: number;
}

/**
 * Kubernetes precedence: Exact before Prefix; among each, longer paths first.
 * ImplementationSpecific is a Prefix, and a Prefix's trailing slash is ignored
 * (`/aaa/bbb/` matches `/aaa/bbb`).
 */
function compareRoutes(a: Candidate, b: Candidate): number {
  if (a.kind !== b.kind) return a.kind === 'exact' ? -1 : 1;
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.order - b.order;
}

function hostOrder(a: string | undefined, b: string | undefined): number {
  const rank = (h: string | undefined): number => (h === undefined ? 2 : h.startsWith('*.') ? 1 : 0);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return (a ?? '') < (b ?? '') ? -1 : (a ?? '') > (b ?? '') ? 1 : 0;
}

function candidatesOf(
  ingress: Ingress,
  start: number,
): Array<{ host: string | undefined; route: Candidate }> {
  let order = start;
  return ingress.rules.flatMap((rule) =>
    rule.paths.map((p) => {
      const kind = p.pathType === 'Exact' ? 'exact' : 'prefix';
      const path = kind === 'exact' ? p.path : p.path.replace(/\/+$/, '');
      return { host: rule.host, route: { kind, path, backend: p.backend, ingress, order: order++ } as const };
    }),
  );
}

/**
 * Merges the rules of the Ingresses behind one load balancer into virtual
 * hosts. Two routes with the same host, kind and path: the first Ingress (in
 * name order) keeps it and the other gets a Conflict problem. Each Ingress's
 * default backend closes its own hosts and the catch-all host.
 */
export function planVirtualHosts(
  members: readonly Ingress[],
  problems: IngressProblem[],
): PlannedVirtualHost[] {
  const byHost = new Map<string | undefined, Candidate[]>();
  const defaults = new Map<string | undefined, { backend: ServiceBackend; ingress: Ingress }>();
  let order = 0;
  for (const ingress of members) {
    const candidates = candidatesOf(ingress, order);
    order += candidates.length;
    for (const { host, route } of candidates) byHost.set(host, [...(byHost.get(host) ?? []), route]);
    const hosts = new Set<string | undefined>([...ingress.rules.map((r) => r.host), undefined]);
    if (!ingress.defaultBackend) continue;
    for (const host of hosts) {
      if (!byHost.has(host)) byHost.set(host, []);
      const taken = defaults.get(host);
      if (!taken) defaults.set(host, { backend: ingress.defaultBackend, ingress });
      else if (taken.ingress !== ingress && !sameBackend(taken.backend, ingress.defaultBackend))
        problems.push(conflict(ingress, `default backend for host "${host ?? '*'}"`, taken.ingress));
    }
  }
  return [...byHost.keys()].sort(hostOrder).flatMap((host) => {
    const routes = dedupe(byHost.get(host) ?? [], host, problems);
    const defaultBackend = defaults.get(host);
    if (routes.length === 0 && !defaultBackend) return [];
    return [{ host, routes, defaultBackend }];
  });
}

function dedupe(
  candidates: Candidate[],
  host: string | undefined,
  problems: IngressProblem[],
): PlannedRoute[] {
  const kept: Candidate[] = [];
  for (const route of [...candidates].sort(compareRoutes)) {
    const first = kept.find((k) => k.kind === route.kind && k.path === route.path);
    if (!first) {
      kept.push(route);
      continue;
    }
    if (!sameBackend(first.backend, route.backend))
      problems.push(
        conflict(
          route.ingress,
          `${route.kind} path "${route.path || '/'}" on host "${host ?? '*'}"`,
          first.ingress,
        ),
      );
  }
  return kept.map(({ order: _order, ...route }) => route);
}

function conflict(loser: Ingress, what: string, winner: Ingress): IngressProblem {
  const by = winner === loser ? 'an earlier rule of this Ingress' : `Ingress ${ingressKey(winner)}`;
  return {
    ingress: ingressRef(loser),
    reason: 'Conflict',
    message: `${what} is already served by ${by}; this one is ignored`,
    fatal: false,
  };
}

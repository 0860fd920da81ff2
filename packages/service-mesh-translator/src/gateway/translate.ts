import type { Issue, KubeObject } from '@ciliary/core';
import type { ServiceDirectory } from '../eds/endpoints';
import { resolveRuleBackends } from '../gamma/backends';
import { envoyRoute, type RuleClusters } from '../gamma/envoy-routes';
import type { RouteCondition, RouteParentStatus } from '../gamma/gamma';
import { compareMatches, type PlacedMatch } from '../gamma/route-order';
import { parseMeshRoute, type MeshRoute, type RouteRule } from '../gamma/route-model';
import { byCodePoint } from '../util';
import { attachRoute, isGatewayParent, type NamespaceLabels } from './attach';
import { vhostDomains, wildcardAuthorityRegex } from './hostnames';
import {
  CILIUM_GATEWAY_CONTROLLER,
  ownedGatewayClasses,
  parseGateway,
  type Gateway,
  type GatewayListener,
} from './model';
import { envoySecret, gatewayEnvoyConfig, type TlsChain } from './envoy-config';

export interface GatewayInput {
  readonly gatewayClasses: readonly KubeObject[];
  readonly gateways: readonly KubeObject[];
  /** HTTPRoutes and GRPCRoutes (GAMMA ones are skipped here). */
  readonly routes: readonly KubeObject[];
  readonly referenceGrants: readonly KubeObject[];
  /** Kubernetes Secrets holding listener certificates (type kubernetes.io/tls). */
  readonly secrets: readonly KubeObject[];
  /** Namespaces, for the labels `allowedRoutes.namespaces.selector` matches. */
  readonly namespaces?: readonly KubeObject[];
  readonly documentOf: (object: KubeObject) => string;
  readonly controllerName?: string;
}

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

export interface ListenerStatus {
  readonly name: string;
  readonly attachedRoutes: number;
  readonly conditions: readonly Condition[];
}

export interface GatewayStatus {
  readonly gateway: string;
  readonly conditions: readonly Condition[];
  readonly listeners: readonly ListenerStatus[];
}

export interface GatewayTranslation {
  /** One CiliumEnvoyConfig per programmed Gateway, as Cilium's operator generates them. */
  readonly envoyConfigs: KubeObject[];
  readonly gatewayStatuses: GatewayStatus[];
  readonly routeStatuses: RouteParentStatus[];
  readonly issues: Issue[];
}

/** A route match placed on one host of one Gateway, with its resolved backends. */
interface HostRoute extends PlacedMatch {
  readonly rule: RouteRule;
  readonly backends: RuleClusters;
}

/** Per secure/insecure side of a Gateway: host -> matches. */
type HostTable = Map<string, HostRoute[]>;

function condition(type: string, ok: boolean, reason: string, message: string): Condition {
  return { type, status: ok ? 'True' : 'False', reason, message };
}

/**
 * Gateway API v1 to CiliumEnvoyConfig, the way Cilium's operator does it: per
 * Gateway of a class this controller owns, one listener (a raw_buffer chain
 * for HTTP, one TLS chain per HTTPS listener), route configurations
 * `listener-insecure`/`listener-secure` with a virtual host per hostname and
 * Gateway API precedence inside it, clusters per backend, and the certificate
 * secrets. The CECs then go through the same translation as users' CECs.
 */
export function translateGateways(input: GatewayInput, directory: ServiceDirectory): GatewayTranslation {
  const issues: Issue[] = [];
  const owned = ownedGatewayClasses(input.gatewayClasses, input.controllerName ?? CILIUM_GATEWAY_CONTROLLER);
  const routes = input.routes.flatMap((o) => {
    const parsed = parseMeshRoute(o, input.documentOf(o), issues);
    return parsed ? [parsed] : [];
  });
  const out: GatewayTranslation = { envoyConfigs: [], gatewayStatuses: [], routeStatuses: [], issues };
  const gateways = input.gateways
    .flatMap((o) => {
      const parsed = parseGateway(o, input.documentOf(o), issues);
      return parsed ? [parsed] : [];
    })
    .filter((g) => owned.has(g.className))
    .sort((a, b) => byCodePoint(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
  const labelsOf = namespaceLabels(input.namespaces ?? []);
  for (const gateway of gateways) translateGateway(gateway, routes, input, directory, labelsOf, out);
  return out;
}

/** Namespace labels from Namespace objects; a namespace not given has only its name label. */
function namespaceLabels(namespaces: readonly KubeObject[]): NamespaceLabels {
  const byName = new Map(namespaces.map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]));
  return (namespace) => ({ ...byName.get(namespace), 'kubernetes.io/metadata.name': namespace });
}

function translateGateway(
  gateway: Gateway,
  routes: readonly MeshRoute[],
  input: GatewayInput,
  directory: ServiceDirectory,
  labelsOf: NamespaceLabels,
  out: GatewayTranslation,
): void {
  const insecure: HostTable = new Map();
  const secure: HostTable = new Map();
  const attached = new Map<string, number>();
  for (const route of routes) {
    for (const parent of route.parentRefs.filter((p) => isGatewayParent(p, gateway))) {
      const result = attachRoute(route, route.hostnames, parent, gateway, labelsOf);
      const routeName = `${route.kind} ${route.namespace}/${route.name}`;
      if (!result.accepted) {
        out.routeStatuses.push({ route: routeName, parentRef: parent, conditions: [result.condition] });
        out.issues.push({
          document: route.document,
          path: '/spec/parentRefs',
          message: result.condition.message,
        });
        continue;
      }
      const resolved = placeRoute(route, input, directory, out.issues);
      for (const { listener, hostnames } of result.attachments) {
        attached.set(listener.name, (attached.get(listener.name) ?? 0) + 1);
        const table = listener.protocol === 'HTTPS' ? secure : insecure;
        for (const host of hostnames) table.set(host, [...(table.get(host) ?? []), ...resolved.matches]);
      }
      out.routeStatuses.push({
        route: routeName,
        parentRef: parent,
        conditions: [
          condition('Accepted', true, 'Accepted', 'route attached to the Gateway') as RouteCondition,
          resolved.resolvedRefs,
        ],
      });
    }
  }
  const tls = tlsChains(gateway, input, out.issues);
  const listenerStatuses = gateway.listeners.map((l) =>
    listenerStatus(l, attached.get(l.name) ?? 0, tls.failed.get(l.name)),
  );
  out.gatewayStatuses.push({
    gateway: `${gateway.namespace}/${gateway.name}`,
    conditions: [
      condition('Accepted', true, 'Accepted', 'Gateway accepted by the controller'),
      condition('Programmed', true, 'Programmed', 'Gateway translated to a CiliumEnvoyConfig'),
    ],
    listeners: listenerStatuses,
  });
  out.envoyConfigs.push(
    gatewayEnvoyConfig({
      gateway,
      hasHttp: gateway.listeners.some((l) => l.protocol === 'HTTP'),
      insecureHosts: virtualHosts(insecure),
      secureHosts: virtualHosts(secure),
      tlsChains: tls.chains,
      secrets: tls.secrets,
      backends: backendsOf([...insecure.values(), ...secure.values()].flat()),
    }),
  );
}

function placeRoute(
  route: MeshRoute,
  input: GatewayInput,
  directory: ServiceDirectory,
  issues: Issue[],
): { matches: HostRoute[]; resolvedRefs: RouteCondition } {
  let resolvedRefs: RouteCondition = {
    type: 'ResolvedRefs',
    status: 'True',
    reason: 'ResolvedRefs',
    message: 'all backend references resolved',
  };
  const matches = route.rules.flatMap((rule, ruleIndex) => {
    const backends = resolveRuleBackends(route, rule, directory, input.referenceGrants);
    for (const failed of backends.unresolved) {
      issues.push({
        document: route.document,
        path: `/spec/rules/${ruleIndex}/backendRefs`,
        message: failed.message,
      });
      resolvedRefs = {
        type: 'ResolvedRefs',
        status: 'False',
        reason: failed.reason,
        message: failed.message,
      };
    }
    return rule.matches.map((match, matchIndex) => ({ route, ruleIndex, matchIndex, match, rule, backends }));
  });
  return { matches, resolvedRefs };
}

/**
 * Virtual hosts in a stable order, each with its routes in Gateway API
 * precedence. Envoy picks one virtual host per request, so an exact host also
 * carries, after its own, the routes of the wildcard hosts that cover it:
 * Gateway API ranks a matching exact hostname first but still falls back.
 */
function virtualHosts(table: HostTable): Array<Record<string, unknown>> {
  const hosts = [...table.keys()];
  return hosts.sort(byCodePoint).map((host) => {
    const authority = wildcardAuthorityRegex(host);
    const covering = host.startsWith('*.')
      ? []
      : hosts
          .filter((w) => w.startsWith('*.') && host.endsWith(w.slice(1)))
          .sort((a, b) => b.length - a.length || byCodePoint(a, b));
    const ordered = [host, ...covering, ...(host !== '*' && table.has('*') ? ['*'] : [])].flatMap((h) =>
      [...table.get(h)!].sort(compareMatches),
    );
    const routes = ordered.map((placed) => {
      const route = envoyRoute(placed.rule, placed.match, {
        clusters: placed.backends.clusters.map(toGatewayCluster),
        mirrors: placed.backends.mirrors.map(toGatewayCluster),
      });
      if (!authority) return route;
      const match = route['match'] as Record<string, unknown>;
      const headers = (match['headers'] as unknown[] | undefined) ?? [];
      return {
        ...route,
        match: {
          ...match,
          headers: [...headers, { name: ':authority', safeRegexMatch: { regex: authority } }],
        },
      };
    });
    return { name: host, domains: vhostDomains(host), routes };
  });
}

/** Gateway clusters are named `NS:SERVICE:PORT` (no '/'), so each CEC qualifies its own copy; EDS stays shared. */
function toGatewayCluster<T extends { cluster: string }>(target: T): T {
  return { ...target, cluster: target.cluster.replace('/', ':') };
}

/** Every EDS name the routes send to or mirror to. */
function backendsOf(matches: readonly HostRoute[]): string[] {
  const targets = matches.flatMap((m) => [...m.backends.clusters, ...m.backends.mirrors]);
  return [...new Set(targets.map((c) => c.cluster))].sort(byCodePoint);
}

function tlsChains(
  gateway: Gateway,
  input: GatewayInput,
  issues: Issue[],
): { chains: TlsChain[]; secrets: Array<Record<string, unknown>>; failed: Map<string, string> } {
  const chains: TlsChain[] = [];
  const secrets = new Map<string, Record<string, unknown>>();
  const failed = new Map<string, string>();
  gateway.listeners.forEach((listener, i) => {
    if (listener.protocol !== 'HTTPS') return;
    const names: string[] = [];
    for (const ref of listener.certificateRefs) {
      const secret = input.secrets.find(
        (s) => s.metadata.namespace === ref.namespace && s.metadata.name === ref.name,
      );
      const envoy = secret ? envoySecret(secret) : undefined;
      const crossNamespace =
        ref.namespace !== gateway.namespace && !secretGranted(gateway, ref, input.referenceGrants);
      if (!envoy || crossNamespace) {
        const message = crossNamespace
          ? `no ReferenceGrant allows Gateway ${gateway.name} to use Secret ${ref.namespace}/${ref.name}`
          : `Secret ${ref.namespace}/${ref.name} does not exist or is not a TLS secret`;
        failed.set(listener.name, message);
        issues.push({
          document: gateway.document,
          path: `/spec/listeners/${i}/tls/certificateRefs`,
          message,
        });
        continue;
      }
      secrets.set(String(envoy['name']), envoy);
      names.push(String(envoy['name']));
    }
    if (names.length > 0)
      chains.push({ ...(listener.hostname ? { hostname: listener.hostname } : {}), secretNames: names });
  });
  return { chains, secrets: [...secrets.values()], failed };
}

function secretGranted(
  gateway: Gateway,
  ref: { namespace: string; name: string },
  grants: readonly KubeObject[],
): boolean {
  return grants.some((grant) => {
    if (grant.metadata.namespace !== ref.namespace) return false;
    const spec = (grant['spec'] ?? {}) as {
      from?: Array<Record<string, unknown>>;
      to?: Array<Record<string, unknown>>;
    };
    return (
      (spec.from ?? []).some((f) => f['kind'] === 'Gateway' && f['namespace'] === gateway.namespace) &&
      (spec.to ?? []).some(
        (t) => t['kind'] === 'Secret' && (t['name'] === undefined || t['name'] === ref.name),
      )
    );
  });
}

function listenerStatus(
  listener: GatewayListener,
  attachedRoutes: number,
  certificateProblem: string | undefined,
): ListenerStatus {
  return {
    name: listener.name,
    attachedRoutes,
    conditions: [
      condition('Accepted', true, 'Accepted', 'listener accepted'),
      certificateProblem
        ? condition('ResolvedRefs', false, 'InvalidCertificateRef', certificateProblem)
        : condition('ResolvedRefs', true, 'ResolvedRefs', 'references resolved'),
      condition(
        'Programmed',
        certificateProblem === undefined,
        certificateProblem ? 'Invalid' : 'Programmed',
        certificateProblem ?? 'listener programmed',
      ),
    ],
  };
}

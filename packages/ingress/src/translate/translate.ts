import type { Issue, KubeObject } from '@ciliary/core';
import { TypeUrls } from '@ciliary/service-mesh-translator';
import type { IngressControllerConfig, LoadBalancerMode } from '../config';
import { isServiceName } from '../model/fields';
import { describeIngress, parseIngress, type Ingress, type ServiceBackend } from '../model/ingress';
import { DEFAULT_KEEP_ALIVE } from '../model/options';
import { parseIngressClass, selectIngress, type IngressClass } from '../model/ingress-class';
import { backendProblem, ClusterObjects } from './cluster-objects';
import { cluster, listener, routeConfiguration, withType } from './envoy-resources';
import { Names } from './names';
import {
  envoyConfigObject,
  loadBalancerService,
  placeholderEndpoints,
  syncedSecret,
  type ObjectName,
} from './objects';
import { ingressKey, ingressRef, type IngressProblem } from './problems';
import { planTls } from './tls';
import { planVirtualHosts } from './virtual-hosts';

/** Cluster state the translation reads; objects of other kinds are ignored. */
export interface IngressInput {
  readonly ingresses: readonly KubeObject[];
  readonly ingressClasses?: readonly KubeObject[];
  readonly services?: readonly KubeObject[];
  readonly secrets?: readonly KubeObject[];
  /** Names an object's document in problems, e.g. its manifest file; defaults to `Ingress NAMESPACE/NAME`. */
  readonly documentOf?: (object: KubeObject) => string;
}

/** One load balancer: a CiliumEnvoyConfig and the Service redirected to its listener. */
export interface LoadBalancer {
  readonly mode: LoadBalancerMode;
  readonly envoyConfig: ObjectName;
  readonly service: ObjectName;
  /** `NAMESPACE/NAME` of the Ingresses it serves, sorted. */
  readonly ingresses: readonly string[];
}

export interface SkippedIngress {
  readonly namespace: string;
  readonly name: string;
  readonly reason: string;
}

/** Everything the controller would create, and why some Ingresses are (partly) not served. */
export interface IngressTranslation {
  readonly envoyConfigs: KubeObject[];
  readonly services: KubeObject[];
  readonly endpoints: KubeObject[];
  /** TLS Secrets copied into the secrets namespace. */
  readonly secrets: KubeObject[];
  readonly loadBalancers: LoadBalancer[];
  /** Ingresses of other controllers. */
  readonly skipped: SkippedIngress[];
  readonly problems: IngressProblem[];
  /** IngressClasses that failed validation (and were ignored). */
  readonly classIssues: Issue[];
}

function byKey(a: KubeObject, b: KubeObject): number {
  const ka = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
  const kb = `${b.metadata.namespace ?? ''}/${b.metadata.name ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function refOf(object: KubeObject): IngressProblem['ingress'] {
  return ingressRef({
    namespace: object.metadata.namespace ?? 'default',
    name: object.metadata.name ?? '',
    uid: object.metadata.uid,
  });
}

/**
 * Turns Ingresses into CiliumEnvoyConfigs, load balancer Services (with their
 * placeholder Endpoints) and synced TLS Secrets, with Cilium's names and
 * conventions. Pure: the same input always gives the same output, in a stable order.
 */
export function translateIngresses(input: IngressInput, config: IngressControllerConfig): IngressTranslation {
  const classIssues: Issue[] = [];
  const classes: IngressClass[] = [];
  for (const object of input.ingressClasses ?? []) {
    const parsed = parseIngressClass(object, input.documentOf?.(object));
    if (parsed.ok) classes.push(parsed.value);
    else classIssues.push(...parsed.issues);
  }
  const objects = new ClusterObjects(input.services ?? [], input.secrets ?? []);
  const problems: IngressProblem[] = [];
  const skipped: SkippedIngress[] = [];
  const served: Ingress[] = [];
  for (const object of [...input.ingresses].sort(byKey)) {
    const selection = selectIngress(object, classes, config);
    if (!selection.served) {
      const { namespace, name } = refOf(object);
      skipped.push({ namespace, name, reason: selection.reason });
      continue;
    }
    const ingress = admit(object, input.documentOf?.(object) ?? describeIngress(object), config, problems);
    if (ingress) served.push(ingress);
  }
  for (const ingress of served) reportBackends(ingress, objects, problems);
  const dedicated = served.filter((i) => modeOf(i, config) === 'dedicated');
  const shared = served.filter((i) => modeOf(i, config) === 'shared');
  const groups = dedicated.map((i) => dedicatedGroup(i, config));
  if (shared.length > 0) groups.push(sharedGroup(shared, config));
  const out: IngressTranslation = {
    envoyConfigs: [],
    services: [],
    endpoints: [],
    secrets: [],
    loadBalancers: [],
    skipped,
    problems,
    classIssues,
  };
  const secrets = new Map<string, KubeObject>();
  for (const group of groups) {
    const built = buildLoadBalancer(group, objects, config, problems);
    out.envoyConfigs.push(built.envoyConfig);
    out.services.push(built.service);
    out.endpoints.push(built.endpoints);
    for (const secret of built.secrets) secrets.set(secret.metadata.name ?? '', secret);
    out.loadBalancers.push({
      mode: group.mode,
      envoyConfig: group.envoyConfig,
      service: group.service,
      ingresses: group.members.map(ingressKey),
    });
  }
  out.secrets.push(...[...secrets.values()].sort(byKey));
  return out;
}

function modeOf(ingress: Ingress, config: IngressControllerConfig): LoadBalancerMode {
  return ingress.options.loadBalancerMode ?? config.defaultLoadBalancerMode;
}

function admit(
  object: KubeObject,
  document: string,
  config: IngressControllerConfig,
  problems: IngressProblem[],
): Ingress | undefined {
  const parsed = parseIngress(object, document);
  if (!parsed.ok) {
    problems.push({
      ingress: refOf(object),
      reason: 'InvalidIngress',
      message: parsed.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '),
      fatal: true,
    });
    return undefined;
  }
  const ingress = parsed.value;
  const serviceName = Names.dedicatedService(ingress.name);
  if (modeOf(ingress, config) === 'dedicated' && !isServiceName(serviceName)) {
    problems.push({
      ingress: refOf(object),
      reason: 'InvalidName',
      message: `its load balancer Service would be named "${serviceName}", longer than 63 characters or not a DNS label; shorten the Ingress name or use the shared load balancer`,
      fatal: true,
    });
    return undefined;
  }
  return ingress;
}

function backendsOf(ingress: Ingress): ServiceBackend[] {
  const all = ingress.rules.flatMap((r) => r.paths.map((p) => p.backend));
  if (ingress.defaultBackend) all.push(ingress.defaultBackend);
  return all;
}

function reportBackends(ingress: Ingress, objects: ClusterObjects, problems: IngressProblem[]): void {
  const seen = new Set<string>();
  for (const backend of backendsOf(ingress)) {
    const key = Names.assignment(backend);
    if (seen.has(key)) continue;
    seen.add(key);
    const problem = backendProblem(backend, objects);
    if (problem) problems.push({ ingress: ingressRef(ingress), ...problem, fatal: false });
  }
}

interface Group {
  readonly mode: LoadBalancerMode;
  readonly members: readonly Ingress[];
  readonly owner: Ingress | undefined;
  readonly envoyConfig: ObjectName;
  readonly service: ObjectName;
}

function dedicatedGroup(ingress: Ingress, _config: IngressControllerConfig): Group {
  return {
    mode: 'dedicated',
    members: [ingress],
    owner: ingress,
    envoyConfig: {
      namespace: ingress.namespace,
      name: Names.dedicatedEnvoyConfig(ingress.namespace, ingress.name),
    },
    service: { namespace: ingress.namespace, name: Names.dedicatedService(ingress.name) },
  };
}

function sharedGroup(members: Ingress[], config: IngressControllerConfig): Group {
  const at = { namespace: config.ciliumNamespace, name: config.sharedName };
  return { mode: 'shared', members, owner: undefined, envoyConfig: at, service: at };
}

function buildLoadBalancer(
  group: Group,
  objects: ClusterObjects,
  config: IngressControllerConfig,
  problems: IngressProblem[],
): { envoyConfig: KubeObject; service: KubeObject; endpoints: KubeObject; secrets: KubeObject[] } {
  const tls = planTls(group.members, objects, config, problems);
  const vhosts = planVirtualHosts(group.members, problems);
  const backends = new Map<string, ServiceBackend>();
  for (const backend of group.members.flatMap(backendsOf)) backends.set(Names.cluster(backend), backend);
  const sortedBackends = [...backends.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, b]) => b);
  const keepAlive = group.owner?.options.keepAlive ?? DEFAULT_KEEP_ALIVE;
  const resources = [
    withType(TypeUrls.listener, listener(tls, keepAlive)),
    withType(TypeUrls.routeConfiguration, routeConfiguration(Names.insecureRoutes, vhosts, tls)),
    ...(tls.chains.length > 0
      ? [withType(TypeUrls.routeConfiguration, routeConfiguration(Names.secureRoutes, vhosts, undefined))]
      : []),
    ...sortedBackends.map((b) => withType(TypeUrls.cluster, cluster(b))),
  ];
  const options = group.owner?.options;
  const service = loadBalancerService(group.service, group.owner, {
    type: options?.serviceType ?? config.defaultServiceType,
    https: group.mode === 'shared' || tls.chains.length > 0,
    insecureNodePort: options?.insecureNodePort,
    secureNodePort: options?.secureNodePort,
  });
  const secrets = tls.chains.flatMap((chain) => {
    const source = objects.secret(chain.source.namespace, chain.source.name);
    return source ? [syncedSecret(config.secretsNamespace, source)] : [];
  });
  return {
    envoyConfig: envoyConfigObject(group.envoyConfig, group.owner, group.service, sortedBackends, resources),
    service,
    endpoints: placeholderEndpoints(group.service, group.owner),
    secrets,
  };
}

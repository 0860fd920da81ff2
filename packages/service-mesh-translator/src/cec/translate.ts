import type { Issue } from '@ciliary/core';
import type { EnvoyCodec } from '../envoy/codec';
import { TypeUrls } from '../envoy/type-urls';
import { backendServiceAssignments, type ServiceDirectory } from '../eds/endpoints';
import type { ResourceInput } from '../snapshot/build';
import { byCodePoint, isRecord } from '../util';
import { completeCluster, completeListener } from './inject';
import type { EnvoyConfig } from './model';
import { qualifiedName, qualifyResource } from './qualify';

/**
 * What the datapath needs for `spec.services`: traffic to this Service goes to
 * the node's Envoy on `proxyPort` (the BPF service's L7 load-balancer port).
 */
export interface ServiceRedirect {
  readonly service: { readonly namespace: string; readonly name: string };
  /** The qualified listener name. */
  readonly listener: string;
  readonly proxyPort: number;
  /** The CEC that asked for it. */
  readonly owner: string;
}

export interface EnvoyConfigTranslationOptions {
  /** Proxy ports handed out earlier, by qualified listener name; kept so ports stay stable. */
  readonly proxyPorts?: ReadonlyMap<string, number>;
  /** Inclusive range new proxy ports come from. Defaults to Cilium's 10000-20000. */
  readonly proxyPortRange?: readonly [number, number];
  /** bpffs root for `cilium.bpf_metadata`. Defaults to /sys/fs/bpf. */
  readonly bpfRoot?: string;
}

export interface EnvoyConfigTranslation {
  /** Listeners, routes, clusters, assignments and secrets, each naming its document, for `buildSnapshot`. */
  readonly resources: ResourceInput[];
  readonly redirects: ServiceRedirect[];
  /** Every proxy port in use, by qualified listener name. */
  readonly proxyPorts: ReadonlyMap<string, number>;
  /** Problems; a CEC with a problem contributes nothing. */
  readonly issues: Issue[];
}

interface PreparedResource {
  readonly typeUrl: string;
  readonly json: Record<string, unknown>;
  readonly path: string;
}

interface PreparedConfig {
  readonly config: EnvoyConfig;
  readonly resources: PreparedResource[];
}

const DEFAULT_PORT_RANGE: readonly [number, number] = [10000, 20000];

/**
 * Translates CiliumEnvoyConfigs (already parsed) into xDS resources as Cilium's
 * agent does: names qualified per CEC, listeners completed (proxy port,
 * `cilium.bpf_metadata`, transparent mode, config sources), EDS for
 * `backendServices` and the redirect records for `services`. Pure: the same
 * input always gives the same output. The Ingress controller calls this with
 * the CECs it generates.
 */
export function translateEnvoyConfigs(
  codec: EnvoyCodec,
  configs: readonly EnvoyConfig[],
  directory: ServiceDirectory,
  options: EnvoyConfigTranslationOptions = {},
): EnvoyConfigTranslation {
  const issues: Issue[] = [];
  const ordered = [...configs].sort((a, b) =>
    byCodePoint(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`),
  );
  const prepared = ordered.flatMap((config) => {
    const result = prepare(codec, config);
    issues.push(...result.issues);
    return result.issues.length === 0 ? [result.prepared] : [];
  });
  const proxyPorts = allocateProxyPorts(prepared, options);
  const resources: ResourceInput[] = [];
  const redirects: ServiceRedirect[] = [];
  const assignments = new Map<string, ResourceInput>();
  for (const item of prepared) {
    const completed = complete(item, proxyPorts, options.bpfRoot ?? '/sys/fs/bpf');
    const found = redirectsOf(item.config, completed, redirects);
    if (found.issues.length > 0) {
      issues.push(...found.issues);
      continue;
    }
    redirects.push(...found.redirects);
    resources.push(
      ...completed.map((r) => ({
        typeUrl: r.typeUrl,
        json: r.json,
        document: item.config.document,
        path: r.path,
        camelCase: true,
      })),
    );
    for (const backend of item.config.backendServices) {
      for (const cla of backendServiceAssignments(
        directory,
        backend.namespace,
        backend.name,
        backend.ports,
      )) {
        if (assignments.has(cla.name)) continue;
        const document = `Service ${backend.namespace}/${backend.name}`;
        assignments.set(cla.name, {
          typeUrl: TypeUrls.clusterLoadAssignment,
          json: cla.json,
          document,
          camelCase: true,
        });
      }
    }
  }
  return { resources: [...resources, ...assignments.values()], redirects, proxyPorts, issues };
}

function prepare(codec: EnvoyCodec, config: EnvoyConfig): { prepared: PreparedConfig; issues: Issue[] } {
  const issues: Issue[] = [];
  const resources: PreparedResource[] = [];
  config.resources.forEach((resource, i) => {
    const path = `/spec/resources/${i}`;
    const canonical = codec.canonicalize(resource.typeUrl, resource.json, path);
    if (!canonical.ok) {
      issues.push(...canonical.issues.map((issue) => ({ document: config.document, ...issue })));
      return;
    }
    const json = qualifyResource(resource.typeUrl, canonical.value, config.namespace, config.name);
    resources.push({ typeUrl: resource.typeUrl, json, path });
  });
  return { prepared: { config, resources }, issues };
}

function needsProxyPort(resource: PreparedResource): boolean {
  return (
    resource.typeUrl === TypeUrls.listener &&
    !isRecord(resource.json['address']) &&
    !isRecord(resource.json['apiListener'])
  );
}

/** Keeps ports handed out before; gives each new address-less listener the lowest free port, in name order. */
function allocateProxyPorts(
  prepared: PreparedConfig[],
  options: EnvoyConfigTranslationOptions,
): Map<string, number> {
  const [min, max] = options.proxyPortRange ?? DEFAULT_PORT_RANGE;
  const names = prepared
    .flatMap((p) => p.resources.filter(needsProxyPort).map((r) => String(r.json['name'] ?? '')))
    .sort(byCodePoint);
  const ports = new Map<string, number>();
  const used = new Set<number>();
  for (const name of names) {
    const earlier = options.proxyPorts?.get(name);
    if (earlier !== undefined && !used.has(earlier)) {
      ports.set(name, earlier);
      used.add(earlier);
    }
  }
  let next = min;
  for (const name of names) {
    if (ports.has(name)) continue;
    while (used.has(next) && next <= max) next++;
    if (next > max) break; // exhausted: the listener stays without address and Envoy rejects it
    ports.set(name, next);
    used.add(next);
  }
  return ports;
}

function complete(
  item: PreparedConfig,
  proxyPorts: Map<string, number>,
  bpfRoot: string,
): PreparedResource[] {
  return item.resources.map((resource) => {
    if (resource.typeUrl === TypeUrls.listener) {
      const proxyPort = proxyPorts.get(String(resource.json['name'] ?? ''));
      const json = completeListener(
        resource.json,
        proxyPort === undefined ? { bpfRoot } : { bpfRoot, proxyPort },
      );
      return { ...resource, json };
    }
    if (resource.typeUrl === TypeUrls.cluster) return { ...resource, json: completeCluster(resource.json) };
    return resource;
  });
}

function listenerPort(listener: Record<string, unknown>): number {
  const address = isRecord(listener['address']) ? listener['address'] : {};
  const socket = isRecord(address['socketAddress']) ? address['socketAddress'] : {};
  return typeof socket['portValue'] === 'number' ? socket['portValue'] : 0;
}

function redirectsOf(
  config: EnvoyConfig,
  resources: PreparedResource[],
  existing: readonly ServiceRedirect[],
): { redirects: ServiceRedirect[]; issues: Issue[] } {
  const listeners = resources.filter((r) => r.typeUrl === TypeUrls.listener).map((r) => r.json);
  const redirects: ServiceRedirect[] = [];
  const issues: Issue[] = [];
  config.services.forEach((service, i) => {
    const path = `/spec/services/${i}`;
    const wanted =
      service.listener === ''
        ? String(listeners[0]?.['name'] ?? '')
        : qualifiedName(config.namespace, config.name, service.listener, true);
    const listener = listeners.find((l) => l['name'] === wanted);
    const port = listener ? listenerPort(listener) : 0;
    if (port === 0) {
      issues.push({
        document: config.document,
        path: `${path}/listener`,
        message: `Listener "${wanted || service.listener}" not found`,
      });
      return;
    }
    const owner = [...existing, ...redirects].find(
      (r) => r.service.namespace === service.namespace && r.service.name === service.name,
    );
    if (owner) {
      issues.push({
        document: config.document,
        path,
        message: `Service ${service.namespace}/${service.name} is already registered for L7 LB redirection by ${owner.owner}`,
      });
      return;
    }
    redirects.push({
      service: { namespace: service.namespace, name: service.name },
      listener: wanted,
      proxyPort: port,
      owner: config.document,
    });
  });
  return { redirects, issues };
}

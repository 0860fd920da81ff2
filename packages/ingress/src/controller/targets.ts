import {
  Kinds,
  kindId,
  type KubeObject,
  type ReconcileTarget,
  type ResourceKind,
  type ResourceSource,
} from '@ciliary/core';
import { INGRESS_LABEL } from '../model/annotations';
import { isRecord } from '../model/fields';
import type { ClusterWriter, LoadBalancerAddress } from './writer';

/**
 * Remembers what the target held at the last listing (and what was written
 * since) and skips writes that would change nothing. The reconciler writes
 * every entry once after it starts; with this, a restarted controller writes
 * nothing to an unchanged cluster.
 */
export function skipUnchanged<K, V>(
  target: ReconcileTarget<K, V>,
  keyId: (key: K) => string,
  equals: (desired: V, known: V) => boolean,
): ReconcileTarget<K, V> {
  const known = new Map<string, V>();
  return {
    async update(key, value) {
      const id = keyId(key);
      const current = known.get(id);
      if (current !== undefined && equals(value, current)) return;
      await target.update(key, value);
      known.set(id, value);
    },
    async delete(key) {
      await target.delete(key);
      known.delete(keyId(key));
    },
    async list() {
      const entries = [...(await target.list())];
      known.clear();
      for (const [key, value] of entries) known.set(keyId(key), value);
      return entries;
    },
  };
}

/** An object the controller owns, by kind, namespace and name. */
export interface OwnedKey {
  readonly kind: ResourceKind;
  readonly namespace: string | undefined;
  readonly name: string;
}

export function ownedKeyId(key: OwnedKey): string {
  return `${kindId(key.kind)}/${key.namespace ?? ''}/${key.name}`;
}

export function ownedKeyOf(kind: ResourceKind, object: KubeObject): OwnedKey {
  return { kind, namespace: object.metadata.namespace, name: object.metadata.name ?? '' };
}

/** The kinds of what the controller creates; it lists them by its label to find what to prune. */
export const OWNED_KINDS: readonly ResourceKind[] = [
  Kinds.CiliumEnvoyConfig,
  Kinds.Service,
  Kinds.Endpoints,
  Kinds.Secret,
];

/**
 * The cluster as the object reconciler sees it: writes go through the writer,
 * and "what is there" is every object of the owned kinds carrying the
 * controller's label (Secrets only in the secrets namespace).
 */
export function ownedObjectsTarget(
  writer: ClusterWriter,
  secretsNamespace: string,
): ReconcileTarget<OwnedKey, KubeObject> {
  return {
    update: (_key, object) => writer.apply(object),
    delete: (key) => writer.delete(key.kind, key.namespace, key.name),
    async list() {
      const entries: Array<readonly [OwnedKey, KubeObject]> = [];
      for (const kind of OWNED_KINDS) {
        for (const object of await writer.list(kind, `${INGRESS_LABEL}=true`)) {
          if (kind === Kinds.Secret && object.metadata.namespace !== secretsNamespace) continue;
          entries.push([ownedKeyOf(kind, object), object]);
        }
      }
      return entries;
    },
  };
}

/** `status.loadBalancer.ingress` of a Service or an Ingress, keeping only the address fields. */
export function loadBalancerAddresses(object: KubeObject | undefined): LoadBalancerAddress[] {
  const status = object && isRecord(object['status']) ? object['status'] : {};
  const loadBalancer = isRecord(status['loadBalancer']) ? status['loadBalancer'] : {};
  const entries = Array.isArray(loadBalancer['ingress']) ? loadBalancer['ingress'].filter(isRecord) : [];
  return entries.map((e) => ({
    ...(typeof e['ip'] === 'string' ? { ip: e['ip'] } : {}),
    ...(typeof e['hostname'] === 'string' ? { hostname: e['hostname'] } : {}),
  }));
}

/**
 * Ingress statuses as the status reconciler sees them: the addresses each
 * served Ingress shows now (read from the watched Ingresses), written through
 * the writer. Removing an entry (the Ingress is no longer served) clears it.
 */
export function ingressStatusTarget(
  writer: ClusterWriter,
  source: ResourceSource,
  servedKeys: () => ReadonlySet<string>,
): ReconcileTarget<string, LoadBalancerAddress[]> {
  const split = (key: string): [string, string] => {
    const slash = key.indexOf('/');
    return [key.slice(0, slash), key.slice(slash + 1)];
  };
  return {
    update: (key, addresses) => writer.setIngressStatus(...split(key), addresses),
    async delete(key) {
      // A deleted Ingress has no status to clear.
      const [namespace, name] = split(key);
      if (
        source.list(Kinds.Ingress).some((i) => i.metadata.namespace === namespace && i.metadata.name === name)
      )
        await writer.setIngressStatus(namespace, name, []);
    },
    async list() {
      const served = servedKeys();
      return source
        .list(Kinds.Ingress)
        .map(
          (ingress) =>
            [`${ingress.metadata.namespace ?? 'default'}/${ingress.metadata.name ?? ''}`, ingress] as const,
        )
        .filter(([key]) => served.has(key))
        .map(([key, ingress]) => [key, loadBalancerAddresses(ingress)] as const);
    },
  };
}

import type { Identity } from './identity';
import { LabelKey, LabelSource } from './labels';
import type { EndpointSelector } from './selector';

interface CachedSelector {
  readonly selector: EndpointSelector;
  /** The namespace the selector is pinned to, if any: only that namespace's identities can match. */
  readonly namespace: string | undefined;
  selections: number[];
  /** Identities whose resolved policy refers to this selector. */
  readonly users: Set<number>;
}

function namespaceOfSelector(selector: EndpointSelector): string | undefined {
  return selector.requiredValue(LabelSource.k8s, LabelKey.podNamespace);
}

function namespaceOfIdentity(identity: Identity): string | undefined {
  return identity.labels.get(LabelSource.k8s, LabelKey.podNamespace);
}

/**
 * Cilium's SelectorCache: every selector some policy uses, with the identities
 * it selects right now. Identities coming and going update the selections and
 * tell which selectors changed, so only the endpoints using them are recomputed.
 * Identities are indexed by namespace, since most selectors are pinned to one.
 */
export class SelectorCache {
  private readonly entries = new Map<string, CachedSelector>();
  private readonly changed = new Set<string>();
  private readonly identities = new Map<number, Identity>();
  private readonly byNamespace = new Map<string, Map<number, Identity>>();

  constructor(initial: Iterable<Identity> = []) {
    for (const identity of initial) this.index(identity);
  }

  selections(id: string): readonly number[] {
    return this.entries.get(id)?.selections ?? [];
  }

  /** Records that `user` (an identity's policy) refers to `selector`, computing its selections on first use. */
  addUser(selector: EndpointSelector, user: number): void {
    let entry = this.entries.get(selector.id);
    if (!entry) {
      const namespace = namespaceOfSelector(selector);
      const candidates =
        namespace === undefined
          ? this.identities.values()
          : (this.byNamespace.get(namespace)?.values() ?? []);
      const selections: number[] = [];
      for (const identity of candidates) if (selector.matches(identity.labels)) selections.push(identity.id);
      entry = { selector, namespace, selections: selections.sort((a, b) => a - b), users: new Set() };
      this.entries.set(selector.id, entry);
    }
    entry.users.add(user);
  }

  removeUser(selectorId: string, user: number): void {
    const entry = this.entries.get(selectorId);
    if (!entry) return;
    entry.users.delete(user);
    if (entry.users.size === 0) this.entries.delete(selectorId);
  }

  identityAdded(identity: Identity): void {
    this.index(identity);
    const namespace = namespaceOfIdentity(identity);
    for (const [id, entry] of this.entries) {
      if (entry.namespace !== undefined && entry.namespace !== namespace) continue;
      if (!entry.selector.matches(identity.labels)) continue;
      entry.selections = [...entry.selections, identity.id].sort((a, b) => a - b);
      this.changed.add(id);
    }
  }

  identityRemoved(identityId: number): void {
    const identity = this.identities.get(identityId);
    if (!identity) return;
    this.identities.delete(identityId);
    const namespace = namespaceOfIdentity(identity);
    if (namespace !== undefined) this.byNamespace.get(namespace)?.delete(identityId);
    for (const [id, entry] of this.entries) {
      if (!entry.selections.includes(identityId)) continue;
      entry.selections = entry.selections.filter((s) => s !== identityId);
      this.changed.add(id);
    }
  }

  /** The users of every selector whose selections changed since the last call. */
  takeChangedUsers(): Set<number> {
    const users = new Set<number>();
    for (const id of this.changed) for (const u of this.entries.get(id)?.users ?? []) users.add(u);
    this.changed.clear();
    return users;
  }

  get size(): number {
    return this.entries.size;
  }

  private index(identity: Identity): void {
    this.identities.set(identity.id, identity);
    const namespace = namespaceOfIdentity(identity);
    if (namespace === undefined) return;
    let group = this.byNamespace.get(namespace);
    if (!group) this.byNamespace.set(namespace, (group = new Map()));
    group.set(identity.id, identity);
  }
}

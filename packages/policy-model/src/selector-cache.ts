import type { Identity } from './identity';
import type { EndpointSelector } from './selector';

interface CachedSelector {
  readonly selector: EndpointSelector;
  selections: number[];
  /** Identities whose resolved policy refers to this selector. */
  readonly users: Set<number>;
}

/**
 * Cilium's SelectorCache: every selector some policy uses, with the identities
 * it selects right now. Identities coming and going update the selections and
 * tell which selectors changed, so only the endpoints using them are recomputed.
 */
export class SelectorCache {
  private readonly entries = new Map<string, CachedSelector>();
  private readonly changed = new Set<string>();

  constructor(private readonly identities: () => Iterable<Identity>) {}

  selections(id: string): readonly number[] {
    return this.entries.get(id)?.selections ?? [];
  }

  /** Records that `user` (an identity's policy) refers to `selector`, computing its selections on first use. */
  addUser(selector: EndpointSelector, user: number): void {
    let entry = this.entries.get(selector.id);
    if (!entry) {
      const selections: number[] = [];
      for (const identity of this.identities())
        if (selector.matches(identity.labels)) selections.push(identity.id);
      entry = { selector, selections: selections.sort((a, b) => a - b), users: new Set() };
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
    for (const [id, entry] of this.entries) {
      if (!entry.selector.matches(identity.labels)) continue;
      entry.selections = [...entry.selections, identity.id].sort((a, b) => a - b);
      this.changed.add(id);
    }
  }

  identityRemoved(identityId: number): void {
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
}

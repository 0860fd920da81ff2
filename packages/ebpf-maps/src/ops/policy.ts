import type { MapBackend, OpenOptions } from '../backend/types';
import { policyMap, type PolicyEntry, type PolicyKey } from '../maps/policy';
import type { MapOptions } from '../spec';
import { TypedMap } from '../typed-map';

/** The verdict part of a policy entry: what the agent decides (counters belong to the datapath). */
export interface PolicyVerdict {
  /** 0 allows without redirect; otherwise the L7 proxy port. */
  readonly proxyPort: number;
  readonly deny: boolean;
}

/** A change to one endpoint's policy map. */
export interface PolicyMapDiff {
  readonly upserts: ReadonlyArray<readonly [PolicyKey, PolicyVerdict]>;
  readonly deletes: readonly PolicyKey[];
}

/** Policy entries are equal when the verdict is; the counters the datapath bumps do not count. */
export function policyEntryEquals(a: PolicyEntry, b: PolicyEntry): boolean {
  return a.proxy_port === b.proxy_port && a.deny === b.deny;
}

/** `cilium_policy_<id>` with the operations the agent needs. */
export class PolicyMap {
  constructor(readonly map: TypedMap<PolicyKey, PolicyEntry>) {}

  static open(backend: MapBackend, endpointId: number, options: MapOptions & OpenOptions = {}): PolicyMap {
    return new PolicyMap(TypedMap.open(backend, policyMap(endpointId, options), options));
  }

  /**
   * Applies a diff: deletes first (absent keys are fine), then writes entries
   * whose verdict changed; unchanged entries keep their counters. Returns what was written.
   */
  apply(diff: PolicyMapDiff): { written: number; deleted: number } {
    let deleted = 0;
    for (const key of diff.deletes) if (this.map.delete(key)) deleted++;
    let written = 0;
    for (const [key, verdict] of diff.upserts) {
      const entry: PolicyEntry = {
        proxy_port: verdict.proxyPort,
        deny: verdict.deny ? 1 : 0,
        packets: 0n,
        bytes: 0n,
      };
      const current = this.map.get(key);
      if (current !== undefined && policyEntryEquals(current, entry)) continue;
      this.map.set(key, entry);
      written++;
    }
    return { written, deleted };
  }

  list(): Array<[PolicyKey, PolicyEntry]> {
    return this.map.entries();
  }
}

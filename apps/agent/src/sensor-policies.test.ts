import { describe, expect, test } from '@jest/globals';
import { ok, silentLogger, type KubeObject } from '@ciliary/core';
import { PolicyLoadError, type LoadedPolicyInfo, type PolicyManager } from '@ciliary/sensor';
import { SensorPolicies } from './sensor-policies';

/**
 * The part of PolicyManager SensorPolicies uses, recording what is loaded; a policy whose
 * spec says `refuse: true` validates but its hooks are refused, as a kernel may refuse them.
 */
function managerStandIn() {
  const loaded = new Map<string, KubeObject>();
  const manager = {
    check: () => ok(undefined),
    add: (doc: KubeObject): LoadedPolicyInfo => {
      const name = doc.metadata.name ?? '';
      if ((doc['spec'] as { refuse?: boolean }).refuse)
        throw new PolicyLoadError(`tracing policy ${name} did not load: EINVAL`, name);
      loaded.set(name, doc);
      return { name, kind: 'TracingPolicy', hooks: 1 } as unknown as LoadedPolicyInfo;
    },
    delete: (name: string) => loaded.delete(name),
    list: () => [...loaded.keys()].map((name) => ({ name }) as LoadedPolicyInfo),
  };
  return { manager: manager as unknown as PolicyManager, loaded };
}

const policy = (version: number, refuse = false): KubeObject => ({
  apiVersion: 'cilium.io/v1alpha1',
  kind: 'TracingPolicy',
  metadata: { name: 'watch' },
  spec: { version, ...(refuse ? { refuse } : {}) },
});

describe('SensorPolicies', () => {
  test('a change the kernel refuses is rolled back to the version that was loaded, and reported', () => {
    const { manager, loaded } = managerStandIn();
    const policies = new SensorPolicies(manager, silentLogger());
    policies.applyResource('watch', policy(1));
    policies.applyResource('watch', policy(2, true));
    expect((loaded.get('watch')?.['spec'] as { version: number }).version).toBe(1);
    expect(policies.loadedCount()).toBe(1);
    expect(policies.problems()).toEqual([
      {
        policy: 'watch',
        problem: 'change refused, the loaded version stays: tracing policy watch did not load: EINVAL',
      },
    ]);
    // A good change afterwards replaces it and clears the problem.
    policies.applyResource('watch', policy(3));
    expect((loaded.get('watch')?.['spec'] as { version: number }).version).toBe(3);
    expect(policies.problems()).toEqual([]);
  });
});

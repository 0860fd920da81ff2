import { describe, expect, test } from '@jest/globals';
import { formatIssue } from '@ciliary/core';
import { computeEgressEntries, EgressClusterState, type HostInterfaces } from '../src';
import { formatEntry, loadScenarios } from './support/scenario';

// Step scenarios in the style of Cilium's egress gateway manager tests: each step
// changes the cluster, then the local node's map must hold exactly the expected entries.
describe.each(loadScenarios())('golden scenario $name', (scenario) => {
  test(scenario.description, () => {
    const cluster = new EgressClusterState();
    let host: HostInterfaces | undefined = scenario.host;
    let unhealthy = new Set<string>();
    for (const step of scenario.steps) {
      const rejected: string[] = [];
      for (const object of step.apply ?? []) {
        rejected.push(
          ...cluster
            .upsert(object, `${scenario.name}/${step.name}`)
            .map((i) => formatIssue({ path: i.path, message: i.message })),
        );
      }
      for (const ref of step.delete ?? [])
        cluster.delete({
          kind: ref.kind,
          metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
        });
      if (step.host) host = step.host;
      if (step.unhealthy) unhealthy = new Set(step.unhealthy);
      const result = computeEgressEntries(cluster.state(scenario.localNode, host, unhealthy));
      const errors = Object.fromEntries(
        result.policies.filter((p) => p.errors.length > 0).map((p) => [p.policy, p.errors]),
      );
      expect({ step: step.name, entries: result.entries.map(formatEntry), errors, rejected }).toEqual({
        step: step.name,
        entries: step.expect,
        errors: step.errors ?? {},
        rejected: step.rejected ?? [],
      });
    }
  });
});

import { errorMessage, silentLogger, type Logger } from '@ciliary/core';
import type { PolicyManager } from '../policy/policy-manager';
import type { Sensor } from '../sensor';

/**
 * Keeps every loaded TracingPolicyNamespaced observing the cgroups of the
 * containers of its namespace's Pods: the Pods the sensor was given and the
 * cgroups their processes were seen in (exec records, the /proc scan). It
 * follows Pods as they come and go and cgroups as they are first seen;
 * PolicyManager writes only the difference to the hooks' maps.
 *
 * A container's cgroup is known from its first exec, so the first moments of
 * a new container's first process run before the policy sees them.
 */
export class NamespacedPolicyCgroups {
  private readonly unsubscribe: () => void;
  private readonly logger: Logger;

  constructor(
    private readonly sensor: Sensor,
    private readonly policies: PolicyManager,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger();
    this.unsubscribe = sensor.onContainersChanged(() => this.refresh());
  }

  /** Gives every loaded namespaced policy its namespace's cgroups now (call after loading one). */
  refresh(): void {
    const byNamespace = new Map<string, bigint[]>();
    for (const policy of this.policies.list()) {
      if (policy.kind !== 'TracingPolicyNamespaced' || !policy.namespace) continue;
      let ids = byNamespace.get(policy.namespace);
      if (!ids) byNamespace.set(policy.namespace, (ids = this.sensor.namespaceCgroupIds(policy.namespace)));
      try {
        this.policies.setCgroups(policy.namespace, policy.name, ids);
      } catch (err) {
        this.logger.warn(
          { policy: `${policy.namespace}/${policy.name}`, err: errorMessage(err) },
          'namespaced policy cgroups not updated',
        );
      }
    }
  }

  close(): void {
    this.unsubscribe();
  }
}

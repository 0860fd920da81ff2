import { createHash } from 'node:crypto';
import { errorMessage, type Clock, type KubeObject, type Logger } from '@ciliary/core';
import { INGRESS_API_VERSION } from '../model/ingress';
import { ingressKey, type IngressProblem } from '../translate/problems';
import type { ClusterWriter } from './writer';

/** The component Events name as their source, as Cilium's operator does. */
export const EVENT_SOURCE = 'cilium-ingress-controller';

/**
 * Turns problems into Kubernetes Events on their Ingress: once per distinct
 * problem while it lasts (it is recorded again if it goes away and comes
 * back). Writing an Event is best effort: a failure is logged and retried at
 * the next change.
 */
export class EventRecorder {
  private readonly recorded = new Map<string, Set<string>>();

  constructor(
    private readonly writer: ClusterWriter,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records the problems not recorded yet; forgets those that are gone. */
  record(problems: readonly IngressProblem[]): void {
    const current = new Map<string, Set<string>>();
    for (const problem of problems) {
      const key = ingressKey(problem.ingress);
      const signature = `${problem.reason}\u0000${problem.message}`;
      let signatures = current.get(key);
      if (!signatures) current.set(key, (signatures = new Set()));
      signatures.add(signature);
      const seen = this.recorded.get(key);
      if (seen?.has(signature)) continue;
      if (seen) seen.add(signature);
      else this.recorded.set(key, new Set([signature]));
      void this.write(problem, key, signature);
    }
    for (const [key, seen] of this.recorded) {
      const still = current.get(key);
      if (!still) this.recorded.delete(key);
      else for (const signature of seen) if (!still.has(signature)) seen.delete(signature);
    }
  }

  private async write(problem: IngressProblem, key: string, signature: string): Promise<void> {
    const event = ingressEvent(problem, this.clock.now());
    try {
      await this.writer.createEvent(event);
      this.logger.info({ ingress: key, reason: problem.reason, message: problem.message }, 'recorded event');
    } catch (err) {
      this.recorded.get(key)?.delete(signature);
      this.logger.warn(
        { ingress: key, reason: problem.reason, err: errorMessage(err) },
        'cannot record event',
      );
    }
  }
}

/** A Warning Event about an Ingress, named like kubectl's `NAME.SUFFIX`. */
export function ingressEvent(problem: IngressProblem, now: number): KubeObject {
  const { namespace, name, uid } = problem.ingress;
  const time = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const suffix = createHash('sha256')
    .update(`${problem.reason}\0${problem.message}\0${now}`)
    .digest('hex')
    .slice(0, 16);
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `${name}.${suffix}`, namespace },
    involvedObject: {
      apiVersion: INGRESS_API_VERSION,
      kind: 'Ingress',
      namespace,
      name,
      ...(uid ? { uid } : {}),
    },
    reason: problem.reason,
    message: problem.message,
    type: 'Warning',
    source: { component: EVENT_SOURCE },
    reportingComponent: EVENT_SOURCE,
    firstTimestamp: time,
    lastTimestamp: time,
    count: 1,
  };
}

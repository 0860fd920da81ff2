import { Counter, Gauge } from 'prom-client';
import { kindId, type ResourceKind, type Unsubscribe } from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from './subsystem';

/**
 * Counts what the resource source delivers, per kind, as Prometheus metrics;
 * the first subsystem, and the template for the others.
 */
export class ResourceMetrics implements Subsystem {
  readonly name = 'resource-source';
  private unsubscribes: Unsubscribe[] = [];
  private context: DaemonContext | undefined;

  constructor(private readonly kinds: readonly ResourceKind[]) {}

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    const objects = new Gauge({
      name: 'ciliary_resource_objects',
      help: 'Objects currently known, by kind',
      labelNames: ['kind'],
      registers: [context.metrics],
    });
    const events = new Counter({
      name: 'ciliary_resource_events_total',
      help: 'Resource events received, by kind and type',
      labelNames: ['kind', 'type'],
      registers: [context.metrics],
    });
    for (const kind of this.kinds) {
      const id = kindId(kind);
      this.unsubscribes.push(
        context.source.subscribe(kind, (event) => {
          events.inc({ kind: id, type: event.type });
          objects.set({ kind: id }, context.source.list(kind).length);
        }),
      );
    }
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
  }

  status(): SubsystemStatus {
    const status = this.context?.source.status();
    if (!status) return { state: 'Failure', message: 'not started' };
    const objects = status.kinds.reduce((sum, k) => sum + k.objects, 0);
    const state = !status.synced ? 'Degraded' : status.problems.length > 0 ? 'Degraded' : 'Ok';
    const problems = status.problems.length > 0 ? `, ${status.problems.length} problem(s)` : '';
    return {
      state,
      message: `${status.type} ${status.origin}: ${status.synced ? 'synced' : 'syncing'}, ${objects} objects${problems}`,
    };
  }
}

import { errorMessage, formatIssue, isValidationError, type KubeObject, type Logger } from '@ciliary/core';
import {
  parseTracingPolicyYaml,
  type LoadedPolicyInfo,
  type NamespacedPolicyCgroups,
  type PolicyManager,
} from '@ciliary/sensor';
import type { TracingPolicyStatus } from '@ciliary/tetragon-events';
import { TracingPolicyRequestError, type TracingPolicyHandler } from '@ciliary/tetragon-events/server';

/** Where a policy came from: a TracingPolicy object of the resource source, or AddTracingPolicy. */
export type PolicySource = 'resource' | 'grpc';

interface PolicyEntry {
  readonly id: number;
  readonly source: PolicySource;
  /** The resource key, or `namespace/name` for a policy added over gRPC. */
  readonly key: string;
  readonly name: string;
  readonly namespace: string;
  readonly doc: unknown;
  state: 'enabled' | 'disabled' | 'load-error';
  loaded?: LoadedPolicyInfo;
  error?: string;
  /** Whether the document was refused (invalid) or the kernel refused its hooks (failed). */
  failure?: 'invalid' | 'failed';
  /** Why the last change to this loaded policy was refused (the loaded version stays). */
  updateError?: string;
}

/**
 * The agent's tracing policies from both sources, loaded side by side into one
 * PolicyManager: TracingPolicy objects of the resource source (by resource key)
 * and policies added over the gRPC API (Tetragon's Add/Delete/List/Enable/
 * DisableTracingPolicy). A policy that fails stays listed with its error
 * (TP_STATE_LOAD_ERROR) and never stops the agent.
 */
export class SensorPolicies implements TracingPolicyHandler {
  private readonly entries = new Map<string, PolicyEntry>();
  private nextId = 1;

  constructor(
    private readonly manager: PolicyManager,
    private readonly logger: Logger,
    /** Gives namespaced policies the cgroups of their namespace's containers once loaded. */
    private readonly namespaced?: NamespacedPolicyCgroups,
  ) {}

  /** A TracingPolicy object from the resource source was added or changed. */
  applyResource(key: string, object: KubeObject): void {
    const id = `resource:${key}`;
    const previous = this.entries.get(id);
    const wasLoaded = previous?.state === 'enabled';
    if (previous && wasLoaded) {
      // A bad edit must not cost the node the policy that was enforcing: check before unloading.
      const checked = this.manager.check(object, key);
      if (!checked.ok) {
        this.refuseUpdate(previous, `invalid tracing policy: ${checked.issues.map(formatIssue).join('; ')}`);
        return;
      }
    }
    this.unload(previous);
    const entry = this.entry('resource', key, object);
    this.entries.set(id, entry);
    this.load(entry);
    if (entry.state === 'enabled' || !previous || !wasLoaded) return;
    // The kernel refused the new version: load the one that worked again.
    this.load(previous);
    if (previous.state !== 'enabled') return;
    this.entries.set(id, previous);
    this.refuseUpdate(previous, entry.error ?? 'the new version did not load');
  }

  private refuseUpdate(entry: PolicyEntry, problem: string): void {
    entry.updateError = `change refused, the loaded version stays: ${problem}`;
    this.logger.warn(
      { policy: entry.key, problem },
      'tracing policy change refused; keeping the loaded version',
    );
  }

  removeResource(key: string): void {
    const entry = this.entries.get(`resource:${key}`);
    this.unload(entry);
    this.entries.delete(`resource:${key}`);
  }

  add(yaml: string): void {
    let doc: unknown;
    try {
      doc = parseTracingPolicyYaml(yaml, 'AddTracingPolicy');
    } catch (err) {
      throw invalid(err);
    }
    const meta = (doc as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const name = typeof meta?.name === 'string' ? meta.name : '';
    const namespace = typeof meta?.namespace === 'string' ? meta.namespace : '';
    const loaded = this.manager.list().some((p) => p.name === name && (p.namespace ?? '') === namespace);
    if (this.find(name, namespace) || loaded)
      throw new TracingPolicyRequestError(
        `tracing policy ${label(name, namespace)} already exists`,
        'exists',
      );
    const entry = this.entry('grpc', `${namespace}/${name}`, doc);
    this.load(entry);
    if (entry.state === 'load-error') throw new TracingPolicyRequestError(entry.error!, entry.failure!);
    this.entries.set(`grpc:${entry.key}`, entry);
  }

  delete(name: string, namespace: string): void {
    const entry = this.owned(name, namespace);
    this.unload(entry);
    this.entries.delete(`grpc:${entry.key}`);
  }

  enable(name: string, namespace: string): void {
    const entry = this.owned(name, namespace);
    if (entry.state === 'enabled') return;
    this.load(entry);
    if (entry.state === 'load-error') throw new TracingPolicyRequestError(entry.error!, 'failed');
  }

  disable(name: string, namespace: string): void {
    const entry = this.owned(name, namespace);
    this.unload(entry);
    entry.state = 'disabled';
  }

  list(): TracingPolicyStatus[] {
    return [...this.entries.values()].sort((a, b) => a.id - b.id).map(status);
  }

  /** Problems of policies that are not loaded, by resource key or gRPC name. */
  problems(): Array<{ policy: string; problem: string }> {
    return [...this.entries.values()]
      .filter((e) => e.state === 'load-error' || e.updateError !== undefined)
      .map((e) => ({
        policy: e.source === 'resource' ? e.key : `grpc:${e.key}`,
        problem: e.state === 'load-error' ? e.error! : e.updateError!,
      }));
  }

  loadedCount(): number {
    return [...this.entries.values()].filter((e) => e.state === 'enabled').length;
  }

  private entry(source: PolicySource, key: string, doc: unknown): PolicyEntry {
    const meta = (doc as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
    return {
      id: this.nextId++,
      source,
      key,
      name: typeof meta?.name === 'string' ? meta.name : '',
      namespace: typeof meta?.namespace === 'string' ? meta.namespace : '',
      doc,
      state: 'load-error',
    };
  }

  private load(entry: PolicyEntry): void {
    const document = entry.source === 'resource' ? entry.key : 'AddTracingPolicy';
    try {
      entry.loaded = this.manager.add(entry.doc, document);
      if (entry.loaded.kind === 'TracingPolicyNamespaced') this.namespaced?.refresh();
      entry.state = 'enabled';
      delete entry.error;
      delete entry.failure;
    } catch (err) {
      entry.state = 'load-error';
      entry.failure = isValidationError(err) ? 'invalid' : 'failed';
      entry.error = isValidationError(err)
        ? `invalid tracing policy: ${err.issues.map(formatIssue).join('; ')}`
        : errorMessage(err);
      delete entry.loaded;
      this.logger.warn(
        { policy: entry.key, source: entry.source, problem: entry.error },
        'tracing policy not loaded',
      );
    }
  }

  private unload(entry: PolicyEntry | undefined): void {
    if (entry?.state !== 'enabled' || !entry.loaded) return;
    this.manager.delete(entry.loaded.name, entry.loaded.namespace);
    delete entry.loaded;
  }

  private find(name: string, namespace: string): PolicyEntry | undefined {
    for (const e of this.entries.values()) if (e.name === name && e.namespace === namespace) return e;
    return undefined;
  }

  /** A policy the gRPC API may change: one it added (resource policies follow their objects). */
  private owned(name: string, namespace: string): PolicyEntry {
    const entry = this.find(name, namespace);
    if (!entry)
      throw new TracingPolicyRequestError(`tracing policy ${label(name, namespace)} not found`, 'not-found');
    if (entry.source === 'resource')
      throw new TracingPolicyRequestError(
        `tracing policy ${label(name, namespace)} comes from the resource source (${entry.key}); change or delete that object instead`,
        'failed',
      );
    return entry;
  }
}

function label(name: string, namespace: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

function invalid(err: unknown): TracingPolicyRequestError {
  const message = isValidationError(err)
    ? `invalid tracing policy: ${err.issues.map(formatIssue).join('; ')}`
    : errorMessage(err);
  return new TracingPolicyRequestError(message, 'invalid', { cause: err });
}

function status(entry: PolicyEntry): TracingPolicyStatus {
  // Tetragon names the sensors a policy loads after the kind of hook
  const spec = (entry.doc as { spec?: { kprobes?: unknown[]; tracepoints?: unknown[] } } | null)?.spec;
  const sensors = entry.loaded
    ? [
        ...(spec?.kprobes?.length ? ['generic_kprobe'] : []),
        ...(spec?.tracepoints?.length ? ['generic_tracepoint'] : []),
      ]
    : [];
  return {
    id: String(entry.id),
    name: entry.name,
    ...(entry.namespace ? { namespace: entry.namespace } : {}),
    info: entry.source === 'resource' ? `resource ${entry.key}` : 'added over gRPC',
    ...(sensors.length ? { sensors } : {}),
    enabled: entry.state === 'enabled',
    ...(entry.error || entry.updateError ? { error: entry.error ?? entry.updateError } : {}),
    state:
      entry.state === 'enabled'
        ? 'TP_STATE_ENABLED'
        : entry.state === 'disabled'
          ? 'TP_STATE_DISABLED'
          : 'TP_STATE_LOAD_ERROR',
    mode: 'TP_MODE_ENFORCE',
  };
}

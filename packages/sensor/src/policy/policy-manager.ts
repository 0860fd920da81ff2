import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { CiliaryError, ValidationError, errorMessage, silentLogger, type Logger } from '@ciliary/core';
import { KernelBackend } from '@ciliary/ebpf-maps';
import {
  buildKprobeEvent,
  execId,
  timestampFromNanos,
  type GetEventsResponse,
  type KprobeAction,
} from '@ciliary/tetragon-events';
import type { LoadedObject } from '../kernel/object-loader';
import type { Sensor } from '../sensor';
import {
  ACTION_NAMES,
  decodeArguments,
  decodeGeneric,
  numberArgument,
  type GenericRecord,
} from '../wire/generic-records';
import { MSG_OP } from '../wire/process-records';
import { compileTracingPolicy, type CompiledPolicy, type HookPlan } from './compile';
import { encodeHookConfig } from './hook-config';
import type { KernelFacts } from './kernel-facts';

/** A policy that could not be loaded (the kernel refused a hook, or the name is taken). */
export class PolicyLoadError extends CiliaryError {
  override readonly name = 'PolicyLoadError';
  constructor(
    message: string,
    readonly policy: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface LoadedPolicyInfo {
  readonly name: string;
  readonly kind: CompiledPolicy['kind'];
  readonly namespace?: string;
  /** Each hook as events name it, and the tracepoints it runs on. */
  readonly hooks: ReadonlyArray<{ readonly functionName: string; readonly tracepoints: readonly string[] }>;
}

interface LoadedHook {
  readonly id: number;
  readonly policy: string;
  readonly plan: HookPlan;
  readonly object: LoadedObject;
  readonly pinDir: string;
}

/**
 * TracingPolicies loaded into the kernel at run time: each hook is one load
 * of the generic object with its configuration in .rodata and its string
 * filters in its own maps; its records become process_kprobe or
 * process_tracepoint events joined with the process cache.
 */
export class PolicyManager {
  private readonly policies = new Map<string, { compiled: CompiledPolicy; hooks: LoadedHook[] }>();
  private readonly hooks = new Map<number, LoadedHook>();
  private readonly backend = new KernelBackend();
  private nextHookId = 1;
  private unknownHookRecords = 0;
  private readonly logger: Logger;

  constructor(
    private readonly sensor: Sensor,
    private readonly facts: KernelFacts,
    logger?: Logger,
  ) {
    this.logger = logger ?? silentLogger();
    sensor.handle(MSG_OP.genericKprobe, (record) => this.onRecord(record));
    sensor.handle(MSG_OP.genericTracepoint, (record) => this.onRecord(record));
  }

  /** Validates and loads a TracingPolicy document; throws ValidationError or PolicyLoadError. */
  add(doc: unknown, document?: string): LoadedPolicyInfo {
    const result = compileTracingPolicy(doc, this.facts, document);
    if (!result.ok) throw new ValidationError(result.issues);
    return this.load(result.value);
  }

  load(compiled: CompiledPolicy): LoadedPolicyInfo {
    if (this.policies.has(compiled.name))
      throw new PolicyLoadError(`tracing policy ${compiled.name} is already loaded`, compiled.name);
    if (compiled.kind === 'TracingPolicyNamespaced')
      throw new PolicyLoadError(
        `TracingPolicyNamespaced ${compiled.namespace}/${compiled.name} applies to the pods of its namespace; the sensor ` +
          'does not associate processes with pods yet, so it is refused rather than applied to every process',
        compiled.name,
      );
    const loaded: LoadedHook[] = [];
    try {
      for (const plan of compiled.hooks) loaded.push(this.loadHook(compiled.name, plan));
    } catch (err) {
      for (const hook of loaded) this.unloadHook(hook);
      throw new PolicyLoadError(
        `tracing policy ${compiled.name} did not load: ${errorMessage(err)}`,
        compiled.name,
        {
          cause: err,
        },
      );
    }
    this.policies.set(compiled.name, { compiled, hooks: loaded });
    this.logger.info({ policy: compiled.name, hooks: loaded.length }, 'tracing policy loaded');
    return info(compiled);
  }

  /** Unloads a policy; false when none has that name. */
  delete(name: string): boolean {
    const policy = this.policies.get(name);
    if (!policy) return false;
    for (const hook of policy.hooks) this.unloadHook(hook);
    this.policies.delete(name);
    this.logger.info({ policy: name }, 'tracing policy unloaded');
    return true;
  }

  list(): LoadedPolicyInfo[] {
    return [...this.policies.values()].map((p) => info(p.compiled));
  }

  close(): void {
    for (const name of [...this.policies.keys()]) this.delete(name);
  }

  stats(): { policies: number; hooks: number; unknownHookRecords: number } {
    return {
      policies: this.policies.size,
      hooks: this.hooks.size,
      unknownHookRecords: this.unknownHookRecords,
    };
  }

  private loadHook(policy: string, plan: HookPlan): LoadedHook {
    const id = this.nextHookId++;
    const pinDir = path.join(this.sensor.pinDir, 'hooks', String(id));
    rmSync(pinDir, { recursive: true, force: true });
    mkdirSync(pinDir, { recursive: true });
    const object = this.sensor.loader(path.join(this.sensor.objectDir, 'generic.o'), (config) => {
      this.sensor.configureShared(config);
      for (const map of ['eq_map', 'prefix_map', 'postfix_map']) config.pinMap(map, path.join(pinDir, map));
      config.setReadOnlyData(encodeHookConfig({ ...plan.config, hookId: id }));
    });
    const hook: LoadedHook = { id, policy, plan, object, pinDir };
    try {
      this.fillStrings(pinDir, plan);
      for (const a of plan.attach) object.attachTracepoint(a.program, a.category, a.event);
    } catch (err) {
      this.unloadHook(hook);
      throw err;
    }
    this.hooks.set(id, hook);
    return hook;
  }

  private fillStrings(pinDir: string, plan: HookPlan): void {
    const one = Uint8Array.of(1);
    for (const [map, keys] of [
      ['eq_map', plan.strings.eq],
      ['prefix_map', plan.strings.prefix],
      ['postfix_map', plan.strings.postfix],
    ] as const) {
      if (keys.length === 0) continue;
      const handle = this.backend.openPinned(path.join(pinDir, map));
      try {
        for (const key of keys) handle.update(key, one);
      } finally {
        handle.close();
      }
    }
  }

  private unloadHook(hook: LoadedHook): void {
    this.hooks.delete(hook.id);
    hook.object.close();
    rmSync(hook.pinDir, { recursive: true, force: true });
  }

  private onRecord(buffer: Buffer): void {
    const record = decodeGeneric(buffer);
    const hook = this.hooks.get(record.hookId);
    if (!hook) {
      this.unknownHookRecords++; // a hook unloaded while its records were in flight
      return;
    }
    this.sensor.submit(this.event(hook, record));
  }

  private event(hook: LoadedHook, record: GenericRecord): GetEventsResponse {
    const node = this.sensor.node;
    const process = {
      exec_id: execId(node, record.current.ktime, record.current.pid),
      pid: record.current.pid,
      tid: record.tid,
    };
    const args = decodeArguments(record.data, hook.plan.outputs);
    const action: KprobeAction = ACTION_NAMES[record.action] ?? 'KPROBE_ACTION_UNKNOWN';
    const timeNs = this.sensor.kernelTime.wallNs(record.ktime);
    const { plan } = hook;
    if (plan.kind === 'tracepoint') {
      return {
        process_tracepoint: {
          process,
          subsys: plan.subsystem!,
          event: plan.event!,
          ...(args.length ? { args } : {}),
          policy_name: hook.policy,
          action,
          ...(plan.message ? { message: plan.message } : {}),
          ...(plan.tags ? { tags: [...plan.tags] } : {}),
        },
        node_name: node,
        time: timestampFromNanos(timeNs),
      };
    }
    const returnValue =
      record.hasReturn && plan.returnOutput && plan.returnOutput.type !== 'string'
        ? numberArgument(plan.returnOutput.type as 'int' | 'uint' | 'long' | 'size', record.ret)
        : undefined;
    const event = buildKprobeEvent({
      node,
      process,
      functionName: plan.functionName,
      args,
      ...(returnValue ? { returnValue } : {}),
      action,
      policyName: hook.policy,
      timeNs,
    });
    const kprobe = event.process_kprobe!;
    if (returnValue) kprobe.return_action = 'KPROBE_ACTION_POST';
    if (plan.message) kprobe.message = plan.message;
    if (plan.tags) kprobe.tags = [...plan.tags];
    return event;
  }
}

function info(compiled: CompiledPolicy): LoadedPolicyInfo {
  return {
    name: compiled.name,
    kind: compiled.kind,
    ...(compiled.namespace ? { namespace: compiled.namespace } : {}),
    hooks: compiled.hooks.map((h) => ({
      functionName: h.functionName,
      tracepoints: h.attach.map((a) => `${a.category}/${a.event}`),
    })),
  };
}

import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import {
  CiliaryError,
  ValidationError,
  errorMessage,
  silentLogger,
  type Logger,
  type Result,
} from '@ciliary/core';
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
import { cgroupIdSet, cgroupKey, cgroupSetChange, type CgroupSetChange } from './cgroup-filter';
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

/** A namespaced policy's cgroup set could not be replaced: unknown ids, too many, or not a namespaced policy. */
export class PolicyCgroupsError extends CiliaryError {
  override readonly name = 'PolicyCgroupsError';
  constructor(
    message: string,
    readonly policy: string,
    readonly problems: readonly string[] = [],
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
  /** TracingPolicyNamespaced: how many cgroups its hooks observe (see PolicyManager.setCgroups). */
  readonly cgroups?: number;
}

interface LoadedPolicy {
  readonly compiled: CompiledPolicy;
  readonly hooks: LoadedHook[];
  /** TracingPolicyNamespaced: the cgroup ids written to every hook's cgroup_filter. */
  cgroups: Set<bigint>;
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
  /** By name, and namespace/name for TracingPolicyNamespaced (names are per namespace there). */
  private readonly policies = new Map<string, LoadedPolicy>();
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

  /** Validates a TracingPolicy document for this kernel without loading anything. */
  check(doc: unknown, document?: string): Result<CompiledPolicy> {
    return compileTracingPolicy(doc, this.facts, document);
  }

  /** Validates and loads a TracingPolicy document; throws ValidationError or PolicyLoadError. */
  add(doc: unknown, document?: string): LoadedPolicyInfo {
    const result = compileTracingPolicy(doc, this.facts, document);
    if (!result.ok) throw new ValidationError(result.issues);
    return this.load(result.value);
  }

  /**
   * Loads a compiled policy. A TracingPolicyNamespaced starts with an empty
   * cgroup set, so it observes nothing until {@link setCgroups} gives it the
   * cgroups of its namespace's containers.
   */
  load(compiled: CompiledPolicy): LoadedPolicyInfo {
    const key = policyKey(compiled.name, compiled.namespace);
    if (this.policies.has(key))
      throw new PolicyLoadError(`tracing policy ${key} is already loaded`, compiled.name);
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
    const policy: LoadedPolicy = { compiled, hooks: loaded, cgroups: new Set() };
    this.policies.set(key, policy);
    this.logger.info({ policy: key, hooks: loaded.length }, 'tracing policy loaded');
    return info(policy);
  }

  /** Unloads a policy (a TracingPolicyNamespaced: give its namespace); false when none has that name. */
  delete(name: string, namespace?: string): boolean {
    const key = policyKey(name, namespace);
    const policy = this.policies.get(key);
    if (!policy) return false;
    for (const hook of policy.hooks) this.unloadHook(hook);
    this.policies.delete(key);
    this.logger.info({ policy: key }, 'tracing policy unloaded');
    return true;
  }

  /**
   * Replaces the cgroups a loaded TracingPolicyNamespaced observes: the cgroup
   * v2 ids (inode numbers of the cgroup directories) of the containers of its
   * namespace's pods. Writes only the difference to each hook's map. Returns
   * the change, or undefined when no such policy is loaded; throws
   * PolicyCgroupsError for a cluster-wide policy or ids that are not cgroup ids.
   */
  setCgroups(
    namespace: string,
    name: string,
    cgroupIds: Iterable<bigint | number>,
  ): CgroupSetChange | undefined {
    const key = policyKey(name, namespace);
    const policy = this.policies.get(key);
    if (!policy) return undefined;
    if (policy.compiled.kind !== 'TracingPolicyNamespaced')
      throw new PolicyCgroupsError(`tracing policy ${key} is not namespaced; it observes every cgroup`, key);
    const desired = cgroupIdSet(cgroupIds);
    if (desired.problems.length > 0)
      throw new PolicyCgroupsError(
        `cgroups of tracing policy ${key}: ${desired.problems.join('; ')}`,
        key,
        desired.problems,
      );
    const change = cgroupSetChange(policy.cgroups, desired.ids);
    if (change.add.length === 0 && change.remove.length === 0) return change;
    const one = Uint8Array.of(1);
    for (const hook of policy.hooks) {
      const map = this.backend.openPinned(path.join(hook.pinDir, 'cgroup_filter'));
      try {
        for (const id of change.remove) map.delete(cgroupKey(id));
        for (const id of change.add) map.update(cgroupKey(id), one);
      } finally {
        map.close();
      }
    }
    policy.cgroups = desired.ids;
    this.logger.debug(
      { policy: key, added: change.add.length, removed: change.remove.length },
      'policy cgroups',
    );
    return change;
  }

  list(): LoadedPolicyInfo[] {
    return [...this.policies.values()].map(info);
  }

  close(): void {
    for (const { compiled } of [...this.policies.values()]) this.delete(compiled.name, compiled.namespace);
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
      for (const map of ['eq_map', 'prefix_map', 'postfix_map', 'cgroup_filter'])
        config.pinMap(map, path.join(pinDir, map));
      config.setReadOnlyData(encodeHookConfig({ ...plan.config, hookId: id }));
    });
    const hook: LoadedHook = { id, policy, plan, object, pinDir };
    try {
      this.fillStrings(pinDir, plan);
      for (const a of plan.attach) {
        // the BTF tracepoint program attaches by its section; the others to the tracepoint named
        if (a.program === 'hook_raw_sys_enter') object.attach(a.program);
        else object.attachTracepoint(a.program, a.category, a.event);
      }
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

function policyKey(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}/${name}` : name;
}

function info({ compiled, cgroups }: LoadedPolicy): LoadedPolicyInfo {
  return {
    name: compiled.name,
    kind: compiled.kind,
    ...(compiled.namespace ? { namespace: compiled.namespace } : {}),
    hooks: compiled.hooks.map((h) => ({
      functionName: h.functionName,
      tracepoints: h.attach
        .filter((a) => a.program.startsWith('hook_'))
        .map((a) => `${a.category}/${a.event}`),
    })),
    ...(compiled.kind === 'TracingPolicyNamespaced' ? { cgroups: cgroups.size } : {}),
  };
}

import type {
  GetEventsResponse,
  KprobeArgument,
  KprobeAction,
  Pod,
  Process,
  ProcessKprobe,
} from '../model/types.generated';
import { timestampFromNanos } from '../json/well-known';
import { execId, unknownParentExecId } from './exec-id';
import { exitStatus } from './exit';
import { processFlags } from './args';

/** What a sensor knows about an exec, in kernel terms. */
export interface ExecFacts {
  readonly node: string;
  readonly pid: number;
  readonly tid?: number;
  /** Kernel boot time of the exec (ns), part of the exec_id. */
  readonly ktime: bigint;
  /** Wall-clock time of the exec (ns since the epoch). */
  readonly startTimeNs: bigint;
  readonly parent?: { readonly pid: number; readonly ktime: bigint };
  readonly uid: number;
  readonly auid?: number;
  readonly binary: string;
  readonly arguments?: string;
  readonly cwd: string;
  /** Process flag bits (execve, procFS, clone...). */
  readonly flags: number;
  readonly docker?: string;
  readonly pod?: Pod;
  readonly inInitTree?: boolean;
}

/** A Process as Tetragon fills it from an exec. */
export function buildProcess(facts: ExecFacts): Process {
  const process: Process = {
    exec_id: execId(facts.node, facts.ktime, facts.pid),
    pid: facts.pid,
    uid: facts.uid,
    cwd: facts.cwd,
    binary: facts.binary,
    flags: processFlags(facts.flags),
    start_time: timestampFromNanos(facts.startTimeNs),
    auid: facts.auid ?? 4294967295,
    parent_exec_id: facts.parent
      ? execId(facts.node, facts.parent.ktime, facts.parent.pid)
      : unknownParentExecId(facts.node),
    tid: facts.tid ?? facts.pid,
  };
  if (facts.arguments) process.arguments = facts.arguments;
  if (facts.pod) process.pod = facts.pod;
  if (facts.docker) process.docker = facts.docker.slice(0, 31);
  if (facts.inInitTree !== undefined) process.in_init_tree = facts.inInitTree;
  return process;
}

export function buildExecEvent(facts: ExecFacts, options: { parent?: Process } = {}): GetEventsResponse {
  const process = buildProcess(facts);
  return {
    process_exec: { process, ...(options.parent ? { parent: options.parent } : {}) },
    node_name: facts.node,
    time: process.start_time!,
  };
}

/** An exit: the process is referenced by exec_id; status and signal come from `task->exit_code`. */
export function buildExitEvent(args: {
  readonly node: string;
  readonly process: Process;
  readonly exitCode: number;
  readonly timeNs: bigint;
}): GetEventsResponse {
  const { status, signal } = exitStatus(args.exitCode);
  const time = timestampFromNanos(args.timeNs);
  return {
    process_exit: {
      process: args.process,
      ...(signal ? { signal } : {}),
      ...(status ? { status } : {}),
      time,
    },
    node_name: args.node,
    time,
  };
}

export function buildKprobeEvent(args: {
  readonly node: string;
  readonly process: Process;
  readonly functionName: string;
  readonly args?: KprobeArgument[];
  readonly returnValue?: KprobeArgument;
  readonly action?: KprobeAction;
  readonly policyName?: string;
  readonly timeNs: bigint;
}): GetEventsResponse {
  const kprobe: ProcessKprobe = {
    process: args.process,
    function_name: args.functionName,
    action: args.action ?? 'KPROBE_ACTION_POST',
  };
  if (args.args?.length) kprobe.args = args.args;
  if (args.returnValue) kprobe.return = args.returnValue;
  if (args.policyName) kprobe.policy_name = args.policyName;
  return { process_kprobe: kprobe, node_name: args.node, time: timestampFromNanos(args.timeNs) };
}

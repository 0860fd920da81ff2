import { failed, ok, type Result } from '@ciliary/core';
import { parseIPv4, parseIPv6 } from '@ciliary/ebpf-maps';
import { planCall, type CallPlan } from './calls';
import { capabilityNumber } from './capabilities';
import {
  ACTION,
  ARG_SRC,
  ARG_TYPE,
  BINARY_ARG,
  CAP_SET,
  MAX_ARGS,
  MAX_CAPS,
  MAX_MATCH_ARGS,
  MAX_NS,
  MAX_PIDS,
  MAX_SELECTORS,
  MAX_VALUES,
  NAMESPACE,
  OP,
  POSTFIX_MAX,
  RET_FILTER,
  SOURCE,
  STR_KEY,
  eqKey,
  lpmKey,
  matchId,
  type ArgConfig,
  type ArgTypeName,
  type CapFilterConfig,
  type HookConfig,
  type MatchArgConfig,
  type MatchValue,
  type NamespaceFilterConfig,
  type SelectorConfig,
  type StringEntries,
  type TracepointAttach,
} from './hook-config';
import type { KernelFacts } from './kernel-facts';
import { withKernelFilters } from './kernel-filters';
import { DocReader } from './reader';
import { FAMILIES, PROTOCOLS, TCP_STATES, numberByName } from './sock-names';
import type { TracepointFormat } from './tracepoint-format';

export const TRACING_POLICY_API_VERSION = 'cilium.io/v1alpha1';
export type TracingPolicyKind = 'TracingPolicy' | 'TracingPolicyNamespaced';

/** A TracingPolicy ready to load: plain data, one plan per hook. */
export interface CompiledPolicy {
  readonly kind: TracingPolicyKind;
  readonly name: string;
  readonly namespace?: string;
  readonly hooks: readonly HookPlan[];
}

/** How an argument is shown in events. */
export interface ArgOutput {
  readonly type: OutputType;
  readonly label?: string;
}

export type OutputType =
  'int' | 'uint' | 'long' | 'size' | 'string' | 'bytes' | 'file' | 'path' | 'sock' | 'sockaddr';

export type { TracepointAttach } from './hook-config';

export interface HookPlan {
  readonly kind: 'kprobe' | 'tracepoint';
  /** The kprobe's function name as events show it; for tracepoints `subsystem/event`. */
  readonly functionName: string;
  readonly subsystem?: string;
  readonly event?: string;
  readonly attach: readonly TracepointAttach[];
  readonly config: Omit<HookConfig, 'hookId'>;
  readonly strings: StringEntries;
  readonly outputs: readonly ArgOutput[];
  readonly returnOutput?: ArgOutput;
  readonly message?: string;
  readonly tags?: readonly string[];
}

/** Tetragon's argument type names, and how each is read and shown. */
const TYPES: Readonly<Record<string, { type: ArgTypeName; output: OutputType }>> = {
  int: { type: 'int', output: 'int' },
  int32: { type: 'int', output: 'int' },
  sint32: { type: 'int', output: 'int' },
  int8: { type: 'sint8', output: 'int' },
  sint8: { type: 'sint8', output: 'int' },
  int16: { type: 'sint16', output: 'int' },
  sint16: { type: 'sint16', output: 'int' },
  uint: { type: 'uint', output: 'uint' },
  uint32: { type: 'uint', output: 'uint' },
  uint8: { type: 'uint8', output: 'uint' },
  uint16: { type: 'uint16', output: 'uint' },
  long: { type: 'long', output: 'long' },
  int64: { type: 'long', output: 'long' },
  sint64: { type: 'long', output: 'long' },
  size_t: { type: 'size_t', output: 'size' },
  uint64: { type: 'size_t', output: 'size' },
  string: { type: 'string', output: 'string' },
  char_buf: { type: 'char_buf', output: 'bytes' },
  fd: { type: 'fd', output: 'file' },
  file: { type: 'file', output: 'file' },
  path: { type: 'path', output: 'path' },
  sock: { type: 'sock', output: 'sock' },
  sockaddr: { type: 'sockaddr', output: 'sockaddr' },
};

const STRING_TYPES: readonly ArgTypeName[] = [
  'string',
  'char_buf',
  'fd',
  'file',
  'path',
  'data_loc',
  'char_array',
];
const STRING_OPS = ['Equal', 'NotEqual', 'Prefix', 'NotPrefix', 'Postfix', 'NotPostfix'] as const;
const NUMBER_OPS = ['Equal', 'NotEqual', 'GreaterThan', 'GT', 'LessThan', 'LT', 'Mask'] as const;
const SOCK_OPS = [
  'SPort',
  'NotSPort',
  'DPort',
  'NotDPort',
  'SAddr',
  'NotSAddr',
  'DAddr',
  'NotDAddr',
  'SPortPriv',
  'NotSportPriv',
  'NotSPortPriv',
  'DPortPriv',
  'NotDPortPriv',
  'Family',
  'Protocol',
  'State',
] as const;
const SOCKADDR_OPS = [
  'SPort',
  'NotSPort',
  'DPort',
  'NotDPort',
  'SAddr',
  'NotSAddr',
  'DAddr',
  'NotDAddr',
  'Family',
] as const;
/** Tetragon's limit on string values per matchArgs (file and path matching). */
const MAX_STRING_VALUES = 8;

interface ArgSpec {
  readonly index: number;
  readonly type: ArgTypeName;
  readonly output: OutputType;
}

/**
 * Validates a TracingPolicy or TracingPolicyNamespaced (cilium.io/v1alpha1)
 * against Tetragon's rules and limits and against what this sensor and this
 * kernel can do, and compiles it into hook plans. Every problem is reported
 * with its JSON path; what is not supported yet is refused by name.
 */
export function compileTracingPolicy(
  doc: unknown,
  facts: KernelFacts,
  document?: string,
): Result<CompiledPolicy> {
  const r = new DocReader(document);
  const root = r.object(doc, '');
  if (!root) {
    if (doc === undefined || doc === null) r.problem('', 'is empty');
    return failed(r.issues);
  }
  const apiVersion = r.string(root['apiVersion'], '/apiVersion', true);
  if (apiVersion !== undefined && apiVersion !== TRACING_POLICY_API_VERSION)
    r.problem('/apiVersion', `must be ${TRACING_POLICY_API_VERSION}`);
  const kind = r.string(root['kind'], '/kind', true);
  if (kind !== undefined && kind !== 'TracingPolicy' && kind !== 'TracingPolicyNamespaced')
    r.problem('/kind', 'must be TracingPolicy or TracingPolicyNamespaced');
  const metadata = r.object(root['metadata'], '/metadata');
  const name = r.string(metadata?.['name'], '/metadata/name', true);
  if (name !== undefined && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name))
    r.problem('/metadata/name', 'must be a DNS subdomain name (lower case letters, digits, - and .)');
  const namespace = r.string(metadata?.['namespace'], '/metadata/namespace');
  if (kind === 'TracingPolicyNamespaced' && !namespace)
    r.problem('/metadata/namespace', 'is required for a TracingPolicyNamespaced');
  const spec = r.object(root['spec'], '/spec');
  if (!spec) r.problem('/spec', 'is required');

  const hooks: HookPlan[] = [];
  if (spec) {
    r.unsupported(spec, '/spec', ['kprobes', 'tracepoints'], 'spec field');
    const kprobes = r.array(spec['kprobes'], '/spec/kprobes');
    const tracepoints = r.array(spec['tracepoints'], '/spec/tracepoints');
    if (kprobes.length === 0 && tracepoints.length === 0)
      r.problem('/spec', 'has no hooks: give kprobes or tracepoints');
    kprobes.forEach((k, i) => {
      const plan = compileKprobe(r, k, `/spec/kprobes/${i}`, facts);
      if (plan) hooks.push(plan);
    });
    tracepoints.forEach((t, i) => {
      const plan = compileTracepoint(r, t, `/spec/tracepoints/${i}`, facts);
      if (plan) hooks.push(plan);
    });
  }
  if (r.issues.length > 0) return failed(r.issues);
  return ok({
    kind: kind as TracingPolicyKind,
    name: name!,
    ...(namespace ? { namespace } : {}),
    hooks: hooks.map((hook) => withKernelFilters(hook, kind === 'TracingPolicyNamespaced', facts)),
  });
}

const KPROBE_FIELDS = [
  'call',
  'syscall',
  'return',
  'args',
  'returnArg',
  'selectors',
  'message',
  'tags',
  'ignore',
];

function compileKprobe(r: DocReader, value: unknown, path: string, facts: KernelFacts): HookPlan | undefined {
  const k = r.object(value, path);
  if (!k) return undefined;
  r.unsupported(k, path, KPROBE_FIELDS, 'kprobe field');
  const call = r.string(k['call'], `${path}/call`, true);
  const syscall = r.boolean(k['syscall'], `${path}/syscall`) ?? true; // the CRD's default
  const wantsReturn = r.boolean(k['return'], `${path}/return`) ?? false;
  const { message, tags } = messageAndTags(r, k, path);
  if (call === undefined) return undefined;
  const plan = planCall(call, syscall, wantsReturn, facts);
  if ('error' in plan) {
    const ignore = r.object(k['ignore'], `${path}/ignore`);
    if (r.boolean(ignore?.['callNotFound'], `${path}/ignore/callNotFound`)) return undefined;
    r.problem(`${path}/call`, plan.error);
    return undefined;
  }
  if (plan.syscalls.length === 0)
    r.problem(`${path}/call`, `no system call reaching ${call} exists on this kernel`);
  if (wantsReturn && !plan.returnAvailable)
    r.problem(`${path}/return`, `the return value of ${call} is not available where this sensor observes it`);

  const argSpecs: ArgSpec[] = [];
  const args: ArgConfig[] = [];
  const argsList = r.array(k['args'], `${path}/args`);
  if (argsList.length > MAX_ARGS)
    r.problem(`${path}/args`, `has ${argsList.length} arguments; at most ${MAX_ARGS}`);
  argsList.slice(0, MAX_ARGS).forEach((a, i) => {
    const compiled = compileKprobeArg(r, a, `${path}/args/${i}`, plan, argSpecs);
    if (compiled) {
      argSpecs.push(compiled.spec);
      args.push(compiled.config);
    }
  });
  let returnOutput: ArgOutput | undefined;
  let returnType = 0;
  const returnArg = r.object(k['returnArg'], `${path}/returnArg`);
  if (returnArg) {
    if (!wantsReturn) r.problem(`${path}/returnArg`, 'needs return: true');
    r.unsupported(returnArg, `${path}/returnArg`, ['index', 'type', 'label'], 'returnArg field');
    const t = r.string(returnArg['type'], `${path}/returnArg/type`, true);
    const known = t ? TYPES[t] : undefined;
    if (t && (!known || !['int', 'uint', 'long', 'size'].includes(known.output)))
      r.problem(
        `${path}/returnArg/type`,
        `return type ${t} is not supported yet (int, uint32, long, size_t are)`,
      );
    else if (known) {
      returnType = ARG_TYPE[known.type];
      const label = r.string(returnArg['label'], `${path}/returnArg/label`);
      returnOutput = { type: known.output, ...(label ? { label } : {}) };
    }
  } else if (wantsReturn) {
    r.problem(`${path}/returnArg`, 'is required with return: true');
  }
  const selectors = compileSelectors(r, k['selectors'], `${path}/selectors`, argSpecs, facts);
  return {
    kind: 'kprobe',
    functionName: plan.functionName,
    attach: plan.nrs
      ? [{ program: 'hook_raw_sys_enter' as const, category: 'raw_syscalls', event: 'sys_enter' }]
      : plan.syscalls.flatMap((name) =>
          plan.source === SOURCE.sysExit
            ? [
                ...(plan.needsStash
                  ? [{ program: 'hook_sys_enter' as const, category: 'syscalls', event: `sys_enter_${name}` }]
                  : []),
                { program: 'hook_sys_exit' as const, category: 'syscalls', event: `sys_exit_${name}` },
              ]
            : [{ program: 'hook_sys_enter' as const, category: 'syscalls', event: `sys_enter_${name}` }],
        ),
    config: {
      source: plan.source,
      args,
      selectors: selectors.configs,
      hasReturn: wantsReturn,
      returnType,
      needsStash: plan.needsStash,
      retFilter: plan.retFilter,
      requireTcp: plan.requireTcp,
      readNrs: plan.readNrs,
      ...(plan.nrs ? { nrs: plan.nrs } : {}),
    },
    strings: selectors.strings,
    outputs: argSpecs.map((a, i) => ({ type: a.output, ...labelOf(argsList[i]) })),
    ...(returnOutput ? { returnOutput } : {}),
    ...(message ? { message } : {}),
    ...(tags.length ? { tags } : {}),
  };
}

function labelOf(arg: unknown): { label?: string } {
  const label = (arg as Record<string, unknown> | undefined)?.['label'];
  return typeof label === 'string' && label ? { label } : {};
}

function messageAndTags(
  r: DocReader,
  k: Record<string, unknown>,
  path: string,
): { message?: string; tags: string[] } {
  const message = r.string(k['message'], `${path}/message`);
  if (message !== undefined && message.length > 256)
    r.problem(`${path}/message`, 'is longer than 256 characters');
  const tags = r.values(k['tags'], `${path}/tags`);
  if (tags.length > 16) r.problem(`${path}/tags`, `has ${tags.length} tags; at most 16`);
  return { ...(message ? { message } : {}), tags };
}

function compileKprobeArg(
  r: DocReader,
  value: unknown,
  path: string,
  plan: CallPlan,
  previous: readonly ArgSpec[],
): { spec: ArgSpec; config: ArgConfig } | undefined {
  const a = r.object(value, path);
  if (!a) return undefined;
  r.unsupported(a, path, ['index', 'type', 'label', 'sizeArgIndex', 'maxData'], 'argument field');
  const index = r.integer(a['index'], `${path}/index`, 0, 5);
  if (a['index'] === undefined) r.problem(`${path}/index`, 'is required');
  const typeName = r.string(a['type'], `${path}/type`, true);
  if (r.boolean(a['maxData'], `${path}/maxData`))
    r.problem(`${path}/maxData`, 'maxData is not supported yet');
  if (index === undefined || typeName === undefined) return undefined;
  if (previous.some((p) => p.index === index)) r.problem(`${path}/index`, `argument ${index} is given twice`);
  const known = TYPES[typeName];
  if (!known) {
    r.problem(`${path}/type`, `argument type ${typeName} is not supported yet`);
    return undefined;
  }
  const source = plan.argSource(index);
  if (!source) {
    r.problem(`${path}/index`, `${plan.functionName} has no argument ${index} here`);
    return undefined;
  }
  if (source.types && !source.types.includes(known.type))
    r.problem(
      `${path}/type`,
      `argument ${index} of ${plan.functionName} is a ${source.types[0]}, not ${typeName}`,
    );
  let sizeArg = 0;
  if (a['sizeArgIndex'] !== undefined) {
    const size = r.integer(a['sizeArgIndex'], `${path}/sizeArgIndex`, 1, 6);
    if (known.type !== 'char_buf') r.problem(`${path}/sizeArgIndex`, 'applies to char_buf arguments only');
    if (source.src !== ARG_SRC.raw) r.problem(`${path}/sizeArgIndex`, 'needs a system call hook');
    if (size !== undefined) sizeArg = size;
  }
  return {
    spec: { index, type: known.type, output: known.output },
    config: { type: ARG_TYPE[known.type], src: source.src, index: source.index, sizeArg, user: source.user },
  };
}

interface SelectorsOut {
  readonly configs: SelectorConfig[];
  readonly strings: { eq: Buffer[]; prefix: Buffer[]; postfix: Buffer[] };
}

const SELECTOR_FIELDS = [
  'matchArgs',
  'matchPIDs',
  'matchBinaries',
  'matchNamespaces',
  'matchCapabilities',
  'matchActions',
];

function compileSelectors(
  r: DocReader,
  value: unknown,
  path: string,
  args: readonly ArgSpec[],
  facts: KernelFacts,
): SelectorsOut {
  const out: SelectorsOut = { configs: [], strings: { eq: [], prefix: [], postfix: [] } };
  const list = r.array(value, path);
  if (list.length > MAX_SELECTORS) r.problem(path, `has ${list.length} selectors; at most ${MAX_SELECTORS}`);
  list.slice(0, MAX_SELECTORS).forEach((s, si) => {
    const sp = `${path}/${si}`;
    const sel = r.object(s, sp) ?? {};
    r.unsupported(sel, sp, SELECTOR_FIELDS, 'selector');
    const matchArgs = compileMatchArgs(r, sel['matchArgs'], `${sp}/matchArgs`, si, args, out.strings);
    const pids = compilePids(r, sel['matchPIDs'], `${sp}/matchPIDs`);
    const binaryOp = compileBinaries(r, sel['matchBinaries'], `${sp}/matchBinaries`, si, out.strings);
    const namespaces = compileNamespaces(r, sel['matchNamespaces'], `${sp}/matchNamespaces`, facts);
    const caps = compileCaps(r, sel['matchCapabilities'], `${sp}/matchCapabilities`);
    const action = compileAction(r, sel['matchActions'], `${sp}/matchActions`);
    out.configs.push({
      matchArgs,
      ...(pids ? { pids } : {}),
      ...(binaryOp ? { binaryOp } : {}),
      namespaces,
      caps,
      ...action,
    });
  });
  return out;
}

function compileMatchArgs(
  r: DocReader,
  value: unknown,
  path: string,
  si: number,
  args: readonly ArgSpec[],
  strings: SelectorsOut['strings'],
): MatchArgConfig[] {
  const list = r.array(value, path);
  if (list.length > MAX_MATCH_ARGS) r.problem(path, `has ${list.length} filters; at most ${MAX_MATCH_ARGS}`);
  const out: MatchArgConfig[] = [];
  list.slice(0, MAX_MATCH_ARGS).forEach((m, mi) => {
    const mp = `${path}/${mi}`;
    const ma = r.object(m, mp);
    if (!ma) return;
    r.unsupported(ma, mp, ['index', 'operator', 'values'], 'matchArgs field');
    const index = r.integer(ma['index'], `${mp}/index`, 0, 255);
    if (ma['index'] === undefined) r.problem(`${mp}/index`, 'is required');
    const operator = r.string(ma['operator'], `${mp}/operator`, true);
    const values = r.values(ma['values'], `${mp}/values`);
    if (index === undefined || operator === undefined) return;
    const position = args.findIndex((a) => a.index === index);
    const arg = args[position];
    if (!arg) {
      r.problem(`${mp}/index`, `argument ${index} is not among the hook's args`);
      return;
    }
    const compiled = compileMatchArg(r, mp, operator, values, arg, position, matchId(si, mi), strings);
    if (compiled) out.push(compiled);
  });
  return out;
}

function compileMatchArg(
  r: DocReader,
  path: string,
  operator: string,
  values: string[],
  arg: ArgSpec,
  position: number,
  id: number,
  strings: SelectorsOut['strings'],
): MatchArgConfig | undefined {
  const isString = STRING_TYPES.includes(arg.type);
  const isSock = arg.type === 'sock';
  const isSockaddr = arg.type === 'sockaddr';
  const allowed: readonly string[] = isString
    ? STRING_OPS
    : isSock
      ? SOCK_OPS
      : isSockaddr
        ? SOCKADDR_OPS
        : NUMBER_OPS;
  if (!allowed.includes(operator)) {
    r.problem(
      `${path}/operator`,
      `operator ${operator} is not supported for ${arg.type} arguments (${allowed.join(', ')})`,
    );
    return undefined;
  }
  const op = opCode(operator);
  if (values.length === 0 && !/Priv$/.test(operator)) r.problem(`${path}/values`, 'needs at least one value');
  if (isString) {
    if (values.length > MAX_STRING_VALUES)
      r.problem(`${path}/values`, `has ${values.length} values; at most ${MAX_STRING_VALUES}`);
    const limit = /Postfix/.test(operator) ? POSTFIX_MAX : STR_KEY;
    values.forEach((v, i) => {
      if (Buffer.byteLength(v) > limit) r.problem(`${path}/values/${i}`, `is longer than ${limit} bytes`);
    });
    for (const v of values) {
      if (op === OP.Equal || op === OP.NotEqual) strings.eq.push(eqKey(id, v));
      else if (op === OP.Prefix || op === OP.NotPrefix) strings.prefix.push(lpmKey(id, v));
      else strings.postfix.push(lpmKey(id, v, true));
    }
    return { arg: position, op, values: [] };
  }
  if (values.length > MAX_VALUES)
    r.problem(`${path}/values`, `has ${values.length} values; at most ${MAX_VALUES}`);
  if ((op === OP.GreaterThan || op === OP.LessThan) && values.length > 1)
    r.problem(`${path}/values`, `${operator} takes one value`);
  const parsed: MatchValue[] = [];
  values.slice(0, MAX_VALUES).forEach((v, i) => {
    const value = parseMatchValue(operator, v);
    if (value === undefined)
      r.problem(`${path}/values/${i}`, `${JSON.stringify(v)} is not a valid value for ${operator}`);
    else parsed.push(value);
  });
  return { arg: position, op, values: parsed };
}

function opCode(operator: string): number {
  const aliases: Record<string, keyof typeof OP> = {
    GT: 'GreaterThan',
    LT: 'LessThan',
    NotSportPriv: 'NotSPortPriv',
  };
  return OP[aliases[operator] ?? (operator as keyof typeof OP)];
}

function parseMatchValue(operator: string, v: string): MatchValue | undefined {
  if (/Addr$/.test(operator)) return parseCidrValue(v);
  if (operator === 'Family') return numberValue(numberByName(v, FAMILIES));
  if (operator === 'Protocol') return numberValue(numberByName(v, PROTOCOLS));
  if (operator === 'State') return numberValue(numberByName(v, TCP_STATES));
  if (/Port$/.test(operator)) {
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    return n >= 0 && n <= 65535 ? { num: BigInt(n) } : undefined;
  }
  if (/^-?\d+$/.test(v)) return { num: BigInt(v) };
  if (/^0x[0-9a-f]+$/i.test(v)) return { num: BigInt(v) };
  return undefined;
}

function numberValue(n: number | undefined): MatchValue | undefined {
  return n === undefined ? undefined : { num: BigInt(n) };
}

function parseCidrValue(v: string): MatchValue | undefined {
  const [ip, len] = v.split('/');
  if (ip === undefined) return undefined;
  const v4 = ip.includes(':') ? undefined : safe(() => parseIPv4(ip));
  const v6 = ip.includes(':') ? safe(() => parseIPv6(ip)) : undefined;
  const bytes = v4 ?? v6;
  if (!bytes) return undefined;
  const max = v4 ? 32 : 128;
  const prefix = len === undefined ? max : /^\d+$/.test(len) ? Number(len) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { addr: bytes, prefix, family: v4 ? 2 : 10 };
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function compilePids(r: DocReader, value: unknown, path: string): SelectorConfig['pids'] {
  const list = r.array(value, path);
  if (list.length === 0) return undefined;
  if (list.length > 1) r.problem(path, 'more than one matchPIDs filter per selector is not supported yet');
  const p = r.object(list[0], `${path}/0`);
  if (!p) return undefined;
  r.unsupported(p, `${path}/0`, ['operator', 'values', 'isNamespacePID', 'followForks'], 'matchPIDs field');
  if (r.boolean(p['followForks'], `${path}/0/followForks`))
    r.problem(`${path}/0/followForks`, 'followForks is not supported yet');
  const operator = r.string(p['operator'], `${path}/0/operator`, true);
  if (operator !== undefined && operator !== 'In' && operator !== 'NotIn')
    r.problem(`${path}/0/operator`, 'must be In or NotIn');
  const values = r.values(p['values'], `${path}/0/values`);
  if (values.length === 0) r.problem(`${path}/0/values`, 'needs at least one pid');
  if (values.length > MAX_PIDS)
    r.problem(`${path}/0/values`, `has ${values.length} pids; at most ${MAX_PIDS}`);
  const pids = values.map((v, i) => {
    const n = /^\d+$/.test(v) ? Number(v) : NaN;
    if (!(n >= 0 && n <= 0xffffffff)) r.problem(`${path}/0/values/${i}`, `${JSON.stringify(v)} is not a pid`);
    return n;
  });
  return {
    op: operator === 'NotIn' ? OP.NotIn : OP.In,
    values: pids.slice(0, MAX_PIDS),
    namespacePid: r.boolean(p['isNamespacePID'], `${path}/0/isNamespacePID`) ?? false,
  };
}

function compileBinaries(
  r: DocReader,
  value: unknown,
  path: string,
  si: number,
  strings: SelectorsOut['strings'],
): number | undefined {
  const list = r.array(value, path);
  if (list.length === 0) return undefined;
  if (list.length > 1) r.problem(path, 'takes one filter (Tetragon: MaxItems 1)');
  const b = r.object(list[0], `${path}/0`);
  if (!b) return undefined;
  r.unsupported(b, `${path}/0`, ['operator', 'values', 'followChildren'], 'matchBinaries field');
  if (r.boolean(b['followChildren'], `${path}/0/followChildren`))
    r.problem(`${path}/0/followChildren`, 'followChildren is not supported yet');
  const operator = r.string(b['operator'], `${path}/0/operator`, true);
  const values = r.values(b['values'], `${path}/0/values`);
  if (values.length === 0) r.problem(`${path}/0/values`, 'needs at least one binary');
  if (values.length > MAX_STRING_VALUES)
    r.problem(`${path}/0/values`, `has ${values.length} values; at most ${MAX_STRING_VALUES}`);
  values.forEach((v, i) => {
    if (Buffer.byteLength(v) > STR_KEY) r.problem(`${path}/0/values/${i}`, `is longer than ${STR_KEY} bytes`);
  });
  const id = matchId(si, BINARY_ARG);
  switch (operator) {
    case 'In':
    case 'NotIn':
      for (const v of values) strings.eq.push(eqKey(id, v));
      return operator === 'In' ? OP.In : OP.NotIn;
    case 'Prefix':
    case 'NotPrefix':
      for (const v of values) strings.prefix.push(lpmKey(id, v));
      return operator === 'Prefix' ? OP.Prefix : OP.NotPrefix;
    case undefined:
      return undefined;
    default:
      r.problem(
        `${path}/0/operator`,
        `operator ${operator} is not supported for matchBinaries (In, NotIn, Prefix, NotPrefix)`,
      );
      return undefined;
  }
}

/** /proc/<pid>/ns/<name> of each matchNamespaces namespace. */
const NS_PROC_NAMES: Record<keyof typeof NAMESPACE, string> = {
  Uts: 'uts',
  Ipc: 'ipc',
  Mnt: 'mnt',
  Pid: 'pid',
  PidForChildren: 'pid_for_children',
  Net: 'net',
  Time: 'time',
  TimeForChildren: 'time_for_children',
  Cgroup: 'cgroup',
  User: 'user',
};

function compileNamespaces(
  r: DocReader,
  value: unknown,
  path: string,
  facts: KernelFacts,
): NamespaceFilterConfig[] {
  const list = r.array(value, path);
  if (list.length > MAX_NS) r.problem(path, `has ${list.length} filters; at most ${MAX_NS}`);
  const out: NamespaceFilterConfig[] = [];
  list.slice(0, MAX_NS).forEach((n, i) => {
    const np = `${path}/${i}`;
    const f = r.object(n, np);
    if (!f) return;
    r.unsupported(f, np, ['namespace', 'operator', 'values'], 'matchNamespaces field');
    const ns = r.string(f['namespace'], `${np}/namespace`, true);
    const operator = r.string(f['operator'], `${np}/operator`, true);
    const values = r.values(f['values'], `${np}/values`);
    const nsCode = ns === undefined ? undefined : NAMESPACE[ns as keyof typeof NAMESPACE];
    if (ns !== undefined && nsCode === undefined)
      r.problem(`${np}/namespace`, `must be one of ${Object.keys(NAMESPACE).join(', ')}`);
    if (operator !== undefined && operator !== 'In' && operator !== 'NotIn')
      r.problem(`${np}/operator`, 'must be In or NotIn');
    if (values.length === 0) r.problem(`${np}/values`, 'needs at least one value');
    if (values.length > MAX_VALUES)
      r.problem(`${np}/values`, `has ${values.length} values; at most ${MAX_VALUES}`);
    const inums = values.map((v, vi) => {
      if (v === 'host_ns') {
        const host =
          nsCode === undefined ? undefined : facts.hostNamespace(NS_PROC_NAMES[ns as keyof typeof NAMESPACE]);
        if (host === undefined) r.problem(`${np}/values/${vi}`, `the host's ${ns} namespace cannot be read`);
        return host ?? 0;
      }
      const x = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(x >= 0 && x <= 0xffffffff))
        r.problem(`${np}/values/${vi}`, `${JSON.stringify(v)} is not a namespace inode number or host_ns`);
      return x;
    });
    if (nsCode !== undefined)
      out.push({
        ns: nsCode,
        op: operator === 'NotIn' ? OP.NotIn : OP.In,
        values: inums.slice(0, MAX_VALUES),
      });
  });
  return out;
}

function compileCaps(r: DocReader, value: unknown, path: string): CapFilterConfig[] {
  const list = r.array(value, path);
  if (list.length > MAX_CAPS) r.problem(path, `has ${list.length} filters; at most ${MAX_CAPS}`);
  const out: CapFilterConfig[] = [];
  list.slice(0, MAX_CAPS).forEach((c, i) => {
    const cp = `${path}/${i}`;
    const f = r.object(c, cp);
    if (!f) return;
    r.unsupported(f, cp, ['type', 'operator', 'values', 'isNamespaceCapability'], 'matchCapabilities field');
    if (r.boolean(f['isNamespaceCapability'], `${cp}/isNamespaceCapability`))
      r.problem(`${cp}/isNamespaceCapability`, 'isNamespaceCapability is not supported yet');
    const type = r.string(f['type'], `${cp}/type`) ?? 'Effective';
    if (!(type in CAP_SET)) r.problem(`${cp}/type`, 'must be Effective, Inheritable or Permitted');
    const operator = r.string(f['operator'], `${cp}/operator`, true);
    if (operator !== undefined && operator !== 'In' && operator !== 'NotIn')
      r.problem(`${cp}/operator`, 'must be In or NotIn');
    const values = r.values(f['values'], `${cp}/values`);
    if (values.length === 0) r.problem(`${cp}/values`, 'needs at least one capability');
    let mask = 0n;
    values.forEach((v, vi) => {
      const n = capabilityNumber(v);
      if (n === undefined) r.problem(`${cp}/values/${vi}`, `${v} is not a capability`);
      else mask |= 1n << BigInt(n);
    });
    out.push({
      type: CAP_SET[type as keyof typeof CAP_SET] ?? 0,
      op: operator === 'NotIn' ? OP.NotIn : OP.In,
      mask,
    });
  });
  return out;
}

const NOT_YET_ACTIONS = [
  'FollowFD',
  'UnfollowFD',
  'CopyFD',
  'GetUrl',
  'DnsLookup',
  'TrackSock',
  'UntrackSock',
  'NotifyEnforcer',
  'CleanupEnforcerNotification',
  'Set',
];

function compileAction(r: DocReader, value: unknown, path: string): { action: number; actionArg: number } {
  const list = r.array(value, path);
  if (list.length === 0) return { action: ACTION.Post, actionArg: 0 };
  if (list.length > 1) r.problem(path, 'more than one action per selector is not supported yet');
  const a = r.object(list[0], `${path}/0`);
  if (!a) return { action: ACTION.Post, actionArg: 0 };
  r.unsupported(a, `${path}/0`, ['action', 'argSig', 'argError'], 'matchActions field');
  const name = r.string(a['action'], `${path}/0/action`, true);
  if (name === undefined) return { action: ACTION.Post, actionArg: 0 };
  const canonical = [...Object.keys(ACTION), 'Override', ...NOT_YET_ACTIONS].find(
    (n) => n.toLowerCase() === name.toLowerCase(),
  );
  if (canonical === 'Override') {
    r.problem(
      `${path}/0/action`,
      'Override needs a kprobe with bpf_override_return or an fmod_ret program; this kernel has neither ' +
        '(CONFIG_KPROBES and CONFIG_BPF_KPROBE_OVERRIDE are off, BPF trampolines are refused), and tracepoints cannot change a return value',
    );
    return { action: ACTION.Post, actionArg: 0 };
  }
  if (!canonical || NOT_YET_ACTIONS.includes(canonical)) {
    r.problem(
      `${path}/0/action`,
      canonical ? `action ${canonical} is not supported yet` : `${name} is not an action`,
    );
    return { action: ACTION.Post, actionArg: 0 };
  }
  const action = ACTION[canonical as keyof typeof ACTION];
  let actionArg = 0;
  if (action === ACTION.Signal) {
    const sig = r.integer(a['argSig'], `${path}/0/argSig`, 1, 64);
    if (a['argSig'] === undefined) r.problem(`${path}/0/argSig`, 'is required for Signal');
    actionArg = sig ?? 0;
  }
  return { action, actionArg };
}

/* ---- tracepoints ---- */

const TRACEPOINT_FIELDS = ['subsystem', 'event', 'args', 'selectors', 'message', 'tags', 'raw'];

function compileTracepoint(
  r: DocReader,
  value: unknown,
  path: string,
  facts: KernelFacts,
): HookPlan | undefined {
  const t = r.object(value, path);
  if (!t) return undefined;
  r.unsupported(t, path, TRACEPOINT_FIELDS, 'tracepoint field');
  if (r.boolean(t['raw'], `${path}/raw`)) r.problem(`${path}/raw`, 'raw tracepoints are not supported yet');
  const subsystem = r.string(t['subsystem'], `${path}/subsystem`, true);
  const event = r.string(t['event'], `${path}/event`, true);
  const { message, tags } = messageAndTags(r, t, path);
  if (subsystem === undefined || event === undefined) return undefined;
  const format = facts.tracepointFormat(subsystem, event);
  if (!format) {
    r.problem(`${path}/event`, `tracepoint ${subsystem}/${event} does not exist on this kernel`);
    return undefined;
  }
  const argSpecs: ArgSpec[] = [];
  const args: ArgConfig[] = [];
  const argsList = r.array(t['args'], `${path}/args`);
  if (argsList.length > MAX_ARGS)
    r.problem(`${path}/args`, `has ${argsList.length} arguments; at most ${MAX_ARGS}`);
  argsList.slice(0, MAX_ARGS).forEach((a, i) => {
    const compiled = compileTracepointArg(r, a, `${path}/args/${i}`, format, `${subsystem}/${event}`);
    if (compiled) {
      argSpecs.push(compiled.spec);
      args.push(compiled.config);
    }
  });
  const selectors = compileSelectors(r, t['selectors'], `${path}/selectors`, argSpecs, facts);
  return {
    kind: 'tracepoint',
    functionName: `${subsystem}/${event}`,
    subsystem,
    event,
    attach: [{ program: 'hook_tracepoint', category: subsystem, event }],
    config: {
      source: SOURCE.tracepoint,
      args,
      selectors: selectors.configs,
      hasReturn: false,
      returnType: 0,
      needsStash: false,
      retFilter: RET_FILTER.any,
      requireTcp: false,
      readNrs: [],
    },
    strings: selectors.strings,
    outputs: argSpecs.map((a, i) => ({ type: a.output, ...labelOf(argsList[i]) })),
    ...(message ? { message } : {}),
    ...(tags.length ? { tags } : {}),
  };
}

function compileTracepointArg(
  r: DocReader,
  value: unknown,
  path: string,
  format: TracepointFormat,
  name: string,
): { spec: ArgSpec; config: ArgConfig } | undefined {
  const a = r.object(value, path);
  if (!a) return undefined;
  r.unsupported(a, path, ['index', 'type', 'label'], 'argument field');
  const index = r.integer(a['index'], `${path}/index`, 0, 255);
  if (a['index'] === undefined) r.problem(`${path}/index`, 'is required');
  const typeName = r.string(a['type'], `${path}/type`) ?? 'auto';
  if (index === undefined) return undefined;
  const field = format.fields[index];
  if (!field) {
    r.problem(
      `${path}/index`,
      `${name} has ${format.fields.length} fields (0 to ${format.fields.length - 1})`,
    );
    return undefined;
  }
  const decl = field.declaration;
  const isDataLoc = decl.startsWith('__data_loc');
  const isCharArray = /^(const )?(unsigned )?char \w+\[\d+\]$/.test(decl);
  const isPointer = decl.includes('*');
  const base = { index: 0, tpOffset: field.offset, tpSize: field.size, src: ARG_SRC.tpField };
  if (typeName === 'string' || (typeName === 'auto' && (isDataLoc || isCharArray || /char \*/.test(decl)))) {
    if (isDataLoc)
      return {
        spec: { index, type: 'data_loc', output: 'string' },
        config: { ...base, type: ARG_TYPE.data_loc },
      };
    if (isCharArray)
      return {
        spec: { index, type: 'char_array', output: 'string' },
        config: { ...base, type: ARG_TYPE.char_array },
      };
    if (isPointer)
      return {
        spec: { index, type: 'string', output: 'string' },
        config: { ...base, tpSize: 8, type: ARG_TYPE.string, user: true },
      };
    r.problem(`${path}/type`, `field ${field.name} (${decl}) is not a string`);
    return undefined;
  }
  if (typeName === 'auto') {
    const type: ArgTypeName =
      field.size === 8 ? (field.signed ? 'long' : 'size_t') : field.signed ? 'int' : 'uint';
    if (![1, 2, 4, 8].includes(field.size)) {
      r.problem(`${path}/type`, `field ${field.name} (${decl}) has no automatic type; give one`);
      return undefined;
    }
    const output: OutputType =
      type === 'long' ? 'long' : type === 'size_t' ? 'size' : type === 'int' ? 'int' : 'uint';
    return { spec: { index, type, output }, config: { ...base, type: ARG_TYPE[type] } };
  }
  const known = TYPES[typeName];
  if (!known || !['int', 'uint', 'long', 'size'].includes(known.output)) {
    r.problem(`${path}/type`, `argument type ${typeName} is not supported yet for tracepoints`);
    return undefined;
  }
  return {
    spec: { index, type: known.type, output: known.output },
    config: { ...base, type: ARG_TYPE[known.type] },
  };
}

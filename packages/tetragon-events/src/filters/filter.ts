import { failed, ok, type Issue, type Result } from '@ciliary/core';
import { eventParts, eventTypeOfField, type EventField, type EventParts } from '../model/event';
import type {
  CapFilterSet,
  CapabilitiesType,
  Filter,
  GetEventsRequest,
  GetEventsResponse,
  Process,
} from '../model/types.generated';
import { compileLabelSelector } from './labels';
import type { Re2 } from './re2';
import { compileRe2 } from './regex';

/**
 * Whether an event matches a compiled filter. A caller that has already found the event's parts
 * (eventParts) passes them so they are not looked for again.
 */
export type EventPredicate = (event: GetEventsResponse, parts?: EventParts) => boolean;

/** One field's check, given the parts its filter found once for every field. */
type PartsPredicate = (parts: EventParts) => boolean;

const processOfParts = (parts: EventParts): Process | undefined => parts.inner?.process;
const parentOfParts = (parts: EventParts): Process | undefined => parts.inner?.parent;

interface Compiler {
  readonly issues: Issue[];
  readonly path: string;
  readonly document: string | undefined;
}

function problem(c: Compiler, field: string, message: string): void {
  const path = `${c.path}/${field}`;
  c.issues.push(c.document === undefined ? { path, message } : { document: c.document, path, message });
}

function regexes(c: Compiler, field: string, patterns: readonly string[]): Re2[] {
  const out: Re2[] = [];
  patterns.forEach((p, i) => {
    try {
      out.push(compileRe2(p));
    } catch (err) {
      problem(c, `${field}/${i}`, err instanceof Error ? err.message : String(err));
    }
  });
  return out;
}

function anyMatch(res: readonly Re2[], text: string): boolean {
  for (const re of res) if (re.test(text)) return true;
  return false;
}

/**
 * The process fields regex filters look at; events without a process never match them, and
 * `pick` returns undefined where the field cannot exist (pod fields of host processes).
 */
function processRegex(
  c: Compiler,
  field: string,
  patterns: readonly string[] | undefined,
  pick: (p: Process) => string | undefined,
  of: (parts: EventParts) => Process | undefined = processOfParts,
): PartsPredicate | undefined {
  if (!patterns?.length) return undefined;
  const res = regexes(c, field, patterns);
  return (parts) => {
    const p = of(parts);
    const text = p === undefined ? undefined : pick(p);
    return text !== undefined && anyMatch(res, text);
  };
}

function isProbe(p: Process | undefined): boolean {
  return p?.pod?.container?.maybe_exec_probe === true;
}

const POLICY_EVENTS: ReadonlySet<EventField | undefined> = new Set([
  'process_kprobe',
  'process_tracepoint',
  'process_uprobe',
  'process_lsm',
]);

/** The policy of a kprobe, tracepoint, uprobe or LSM event; an unnamed policy matches no name. */
function policyName(parts: EventParts): string | undefined {
  return POLICY_EVENTS.has(parts.field) ? parts.inner?.policy_name || undefined : undefined;
}

function capSet(
  c: Compiler,
  field: string,
  set: CapFilterSet | undefined,
): ((caps: readonly CapabilitiesType[]) => boolean) | undefined {
  if (!set) return undefined;
  const given = (['any', 'all', 'exactly', 'none'] as const).filter((k) => set[k]?.length);
  if (given.length !== 1) {
    problem(
      c,
      field,
      `exactly one of any, all, exactly or none must be set (got ${given.length === 0 ? 'none' : given.join(', ')})`,
    );
    return undefined;
  }
  const kind = given[0]!;
  const wanted = new Set(set[kind]);
  return (caps) => {
    const have = new Set(caps);
    switch (kind) {
      case 'any':
        return [...wanted].some((w) => have.has(w));
      case 'all':
        return [...wanted].every((w) => have.has(w));
      case 'exactly':
        return have.size === wanted.size && [...wanted].every((w) => have.has(w));
      case 'none':
        return ![...wanted].some((w) => have.has(w));
    }
  };
}

function capabilities(c: Compiler, filter: Filter): PartsPredicate | undefined {
  const cf = filter.capabilities;
  if (!cf) return undefined;
  const checks = (['permitted', 'effective', 'inheritable'] as const).flatMap((which) => {
    const check = capSet(c, `capabilities/${which}`, cf[which]);
    return check ? [[which, check] as const] : [];
  });
  return (parts) => {
    // Tetragon reads process.cap only; a process without it matches no capability filter.
    const caps = parts.inner?.process?.cap;
    if (!caps) return false;
    return checks.every(([which, check]) => check(caps[which] ?? []));
  };
}

/** pid_set follows descendants: a process seen with a tracked parent is tracked from then on. */
function pidSet(pids: readonly number[]): PartsPredicate {
  const tracked = new Set(pids);
  return (parts) => {
    const pid = parts.inner?.process?.pid;
    if (pid === undefined) return false;
    if (tracked.has(pid)) return true;
    const parentPid = parts.inner?.parent?.pid;
    if (parentPid !== undefined && tracked.has(parentPid)) {
      tracked.add(pid);
      return true;
    }
    return false;
  };
}

/**
 * The checks of one Filter, in the order of Tetragon's filter list (pkg/filters): the order
 * matters because a filter stops at its first failed check and pid_set remembers what it saw.
 */
function predicates(c: Compiler, f: Filter): PartsPredicate[] {
  const out: Array<PartsPredicate | undefined> = [];
  out.push(processRegex(c, 'binary_regex', f.binary_regex, (p) => p.binary ?? ''));
  out.push(
    processRegex(c, 'parent_binary_regex', f.parent_binary_regex, (p) => p.binary ?? '', parentOfParts),
  );
  if (f.ancestor_binary_regex?.length) {
    const res = regexes(c, 'ancestor_binary_regex', f.ancestor_binary_regex);
    out.push((parts) => (parts.inner?.ancestors ?? []).some((a) => anyMatch(res, a.binary ?? '')));
  }
  // Host processes have no namespace to match a regex against.
  out.push(processRegex(c, 'namespace_regex', f.namespace_regex, (p) => p.pod?.namespace));
  if (f.health_check !== undefined) {
    const want = f.health_check;
    // Either the process or its parent may be the probe; an event without them is not one.
    out.push((parts) => (isProbe(parts.inner?.process) || isProbe(parts.inner?.parent)) === want);
  }
  if (f.namespace?.length) {
    const namespaces = new Set(f.namespace);
    out.push((parts) => {
      const p = parts.inner?.process;
      return p !== undefined && namespaces.has(p.pod ? (p.pod.namespace ?? '') : '');
    });
  }
  if (f.pid?.length) {
    const pids = new Set(f.pid);
    // A process without a pid counts as pid 0, as Go reads an unset wrapper.
    out.push((parts) => {
      const p = parts.inner?.process;
      return p !== undefined && pids.has(p.pid ?? 0);
    });
  }
  if (f.pid_set?.length) out.push(pidSet(f.pid_set));
  if (f.event_set?.length) {
    const types = new Set<string>(f.event_set);
    out.push((parts) => types.has(eventTypeOfField(parts.field)));
  }
  out.push(processRegex(c, 'arguments_regex', f.arguments_regex, (p) => p.arguments ?? ''));
  out.push(
    processRegex(
      c,
      'parent_arguments_regex',
      f.parent_arguments_regex,
      (p) => p.arguments ?? '',
      parentOfParts,
    ),
  );
  if (f.labels?.length) out.push(labels(c, f.labels));
  out.push(processRegex(c, 'pod_regex', f.pod_regex, (p) => (p.pod ? (p.pod.name ?? '') : undefined)));
  if (f.policy_names?.length) {
    const names = new Set(f.policy_names);
    out.push((parts) => {
      const name = policyName(parts);
      return name !== undefined && names.has(name);
    });
  }
  out.push(capabilities(c, f));
  if (f.cel_expression?.length)
    problem(c, 'cel_expression', 'CEL expression filters are not supported by ciliary yet');
  out.push(processRegex(c, 'container_id', f.container_id, (p) => p.docker ?? ''));
  if (f.in_init_tree !== undefined) {
    const want = f.in_init_tree;
    out.push((parts) => {
      const p = parts.inner?.process;
      return p !== undefined && (p.in_init_tree ?? false) === want;
    });
  }
  // A container without a name matches as "".
  out.push(
    processRegex(c, 'container_name_regex', f.container_name_regex, (p) =>
      p.pod?.container ? (p.pod.container.name ?? '') : undefined,
    ),
  );
  return out.filter((p): p is PartsPredicate => p !== undefined);
}

function labels(c: Compiler, selectors: readonly string[]): PartsPredicate {
  const compiled: Array<(labels: Readonly<Record<string, string>>) => boolean> = [];
  selectors.forEach((s, i) => {
    try {
      compiled.push(compileLabelSelector(s));
    } catch (err) {
      problem(c, `labels/${i}`, err instanceof Error ? err.message : String(err));
    }
  });
  return (parts) => {
    const pod = parts.inner?.process?.pod;
    if (!pod) return false;
    const podLabels = pod.pod_labels ?? {};
    return compiled.some((match) => match(podLabels));
  };
}

/** One Filter: every field that is set must match (values within a field are alternatives). */
export function compileFilter(
  filter: Filter,
  options: { path?: string; document?: string } = {},
): Result<EventPredicate> {
  const c: Compiler = { issues: [], path: options.path ?? '', document: options.document };
  const all = predicates(c, filter);
  if (c.issues.length > 0) return failed(c.issues);
  if (all.length === 1) {
    const only = all[0]!;
    return ok((event, parts = eventParts(event)) => only(parts));
  }
  return ok((event, parts = eventParts(event)) => {
    for (let i = 0; i < all.length; i++) if (!all[i]!(parts)) return false;
    return true;
  });
}

/** Tetragon's allow/deny semantics: allowed when any allow filter matches (or none are given) and no deny filter does. */
export class EventFilter {
  constructor(
    private readonly allow: readonly EventPredicate[],
    private readonly deny: readonly EventPredicate[],
  ) {}

  matches(event: GetEventsResponse, parts: EventParts = eventParts(event)): boolean {
    const allow = this.allow;
    if (allow.length > 0) {
      let allowed = false;
      for (let i = 0; i < allow.length; i++) {
        if (allow[i]!(event, parts)) {
          allowed = true;
          break;
        }
      }
      if (!allowed) return false;
    }
    const deny = this.deny;
    for (let i = 0; i < deny.length; i++) if (deny[i]!(event, parts)) return false;
    return true;
  }

  /** A filter that lets every event through. */
  static all(): EventFilter {
    return new EventFilter([], []);
  }
}

/** Compiles allow and deny lists, collecting every problem with its path (`/allow_list/0/binary_regex/1`). */
export function compileEventFilter(
  lists: Pick<GetEventsRequest, 'allow_list' | 'deny_list'>,
  options: { document?: string } = {},
): Result<EventFilter> {
  const issues: Issue[] = [];
  const compileList = (name: 'allow_list' | 'deny_list'): EventPredicate[] =>
    (lists[name] ?? []).flatMap((f, i) => {
      const r = compileFilter(f, {
        path: `/${name}/${i}`,
        ...(options.document === undefined ? {} : { document: options.document }),
      });
      if (!r.ok) {
        issues.push(...r.issues);
        return [];
      }
      return [r.value];
    });
  const allow = compileList('allow_list');
  const deny = compileList('deny_list');
  return issues.length > 0 ? failed(issues) : ok(new EventFilter(allow, deny));
}

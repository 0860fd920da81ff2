import { TcAttachError, errnoName } from './errors';
import {
  BPF_TC_EGRESS,
  BPF_TC_F_REPLACE,
  BPF_TC_INGRESS,
  libbpf,
  type Libbpf,
  type TcHook,
  type TcOpts,
} from './libbpf';

export type TcDirection = 'ingress' | 'egress';

/** Cilium attaches its tc programs at handle 1, priority 1 on a clsact qdisc. */
const HANDLE = 1;
const PRIORITY = 1;

function hook(ifindex: number, direction: TcDirection): TcHook {
  return {
    sz: 24,
    ifindex,
    attach_point: direction === 'ingress' ? BPF_TC_INGRESS : BPF_TC_EGRESS,
    parent: 0,
  };
}

function opts(progFd: number, flags: number): TcOpts {
  return { sz: 32, prog_fd: progFd, flags, prog_id: 0, handle: HANDLE, priority: PRIORITY };
}

/**
 * Attaches a program to an interface with tc (clsact, direct action),
 * atomically replacing whatever program held the same handle and priority,
 * so traffic never passes unfiltered during an update. Returns the program ID.
 */
export function attachTc(
  ifindex: number,
  direction: TcDirection,
  progFd: number,
  lib: Libbpf = libbpf(),
): number {
  const h = hook(ifindex, direction);
  const created = lib.tcHookCreate(h);
  if (created < 0 && created !== -17) {
    throw new TcAttachError(
      `creating the clsact qdisc on ifindex ${ifindex} failed: ${errnoName(-created)}`,
      ifindex,
      -created,
    );
  }
  const o = opts(progFd, BPF_TC_F_REPLACE);
  const ret = lib.tcAttach(h, o);
  if (ret < 0) {
    throw new TcAttachError(
      `attaching to tc ${direction} of ifindex ${ifindex} failed: ${errnoName(-ret)}`,
      ifindex,
      -ret,
    );
  }
  return o.prog_id;
}

/** The ID of the program attached at ciliary's handle, or undefined when none is. */
export function queryTc(ifindex: number, direction: TcDirection, lib: Libbpf = libbpf()): number | undefined {
  const o = opts(0, 0);
  const ret = lib.tcQuery(hook(ifindex, direction), o);
  return ret < 0 ? undefined : o.prog_id;
}

/** Detaches ciliary's program; a missing program or interface is not an error. */
export function detachTc(ifindex: number, direction: TcDirection, lib: Libbpf = libbpf()): void {
  const ret = lib.tcDetach(hook(ifindex, direction), opts(0, 0));
  if (ret < 0 && ret !== -2 && ret !== -19) {
    throw new TcAttachError(
      `detaching from tc ${direction} of ifindex ${ifindex} failed: ${errnoName(-ret)}`,
      ifindex,
      -ret,
    );
  }
}

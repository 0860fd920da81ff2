import type { Pod } from '@ciliary/tetragon-events';
import type { PodContainer } from './pod-index';

/** What the process adds to its Pod's description. */
export interface ProcessInContainer {
  readonly binary?: string;
  readonly arguments?: string;
  /** The pid inside the container's pid namespace, when known. */
  readonly nspid?: number;
}

/** Process.pod as Tetragon fills it (pod annotations only on request, as with its --enable-pod-annotations). */
export function podInfo(container: PodContainer, process: ProcessInContainer): Pod {
  const image: { id?: string; name?: string } = {};
  if (container.imageId) image.id = container.imageId;
  if (container.image) image.name = container.image;
  const pod: Pod = {
    namespace: container.namespace,
    name: container.podName,
    ...(container.podUid ? { uid: container.podUid } : {}),
    container: {
      id: container.runtimeId,
      name: container.name,
      image,
      ...(container.startedAt ? { start_time: container.startedAt } : {}),
      ...(process.nspid ? { pid: process.nspid } : {}),
      ...(maybeExecProbe(container, process) ? { maybe_exec_probe: true } : {}),
      ...(container.privileged ? { security_context: { privileged: true } } : {}),
    },
    workload: container.workload,
    workload_kind: container.workloadKind,
  };
  if (Object.keys(container.labels).length > 0) pod.pod_labels = { ...container.labels };
  return pod;
}

/**
 * Whether the process may be one of the container's exec probes (Tetragon's
 * maybe_exec_probe, which the health_check filter reads): the probe command's
 * binary (by its name when the probe gives no path) and its arguments.
 */
export function maybeExecProbe(container: PodContainer, process: ProcessInContainer): boolean {
  const binary = process.binary;
  if (!binary) return false;
  return container.execProbes.some(([command, ...args]) => {
    if (command === undefined) return false;
    const sameBinary = command.includes('/') ? command === binary : binary.endsWith(`/${command}`);
    return sameBinary && joinArguments(args) === (process.arguments ?? '');
  });
}

/** Arguments as Process.arguments shows them: space-separated, quoted when they hold a space. */
function joinArguments(args: readonly string[]): string {
  return args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ');
}

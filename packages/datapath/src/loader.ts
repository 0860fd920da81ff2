import * as path from 'node:path';
import { loadBpfObject, type BpfObjectConfig } from './bpf-object';
import { encodeEndpointConfig, type EndpointProgramConfig } from './endpoint-config';
import { libbpf, type Libbpf } from './libbpf';

/** Where the compiled object is and where its maps are pinned: plain data. */
export interface DatapathSpec {
  /** The compiled endpoint object (dist/bpf/bpf_lxc.o). */
  readonly objectPath: string;
  /** Directory in bpffs for the maps; Cilium's is /sys/fs/bpf/tc/globals. */
  readonly pinRoot: string;
  /** Max entries per global map, applied when a map is first created (Cilium's defaults otherwise). */
  readonly mapSizes?: Readonly<Record<string, number>>;
}

export const DEFAULT_PIN_ROOT = '/sys/fs/bpf/tc/globals';

/** The endpoint object the build compiled: dist/bpf/bpf_lxc.o of this package (from src/ or dist/ alike). */
export function defaultObjectPath(): string {
  return path.resolve(__dirname, '../dist/bpf/bpf_lxc.o');
}
export const POLICY_MAP_PREFIX = 'cilium_policy_v2_';

/** The pin path of an endpoint's policy map: `cilium_policy_v2_00042`. */
export function policyMapPath(pinRoot: string, endpointId: number): string {
  return path.join(pinRoot, `${POLICY_MAP_PREFIX}${String(endpointId).padStart(5, '0')}`);
}

/** The programs of one endpoint, loaded and not yet attached. Close after attaching: tc keeps its own reference. */
export interface LoadedEndpointPrograms {
  /** fd of from_container, for tc ingress of the host-side veth. */
  readonly fromContainerFd: number;
  /** fd of to_container, for tc egress of the host-side veth. */
  readonly toContainerFd: number;
  close(): void;
}

/**
 * Loads the endpoint object once per endpoint: the same compiled file, with
 * the endpoint's settings written into its read-only globals and its maps
 * pinned (global maps shared by name, the policy map per endpoint). Pinned
 * maps that already exist are reused, so a restarted agent keeps its state.
 */
export class EndpointLoader {
  constructor(
    private readonly spec: DatapathSpec,
    private readonly lib: Libbpf = libbpf(),
  ) {}

  load(config: EndpointProgramConfig): LoadedEndpointPrograms {
    const loaded = loadBpfObject(this.spec.objectPath, (object) => this.configure(object, config), this.lib);
    return {
      fromContainerFd: loaded.programFd('from_container'),
      toContainerFd: loaded.programFd('to_container'),
      close: () => loaded.close(),
    };
  }

  private configure(object: BpfObjectConfig, config: EndpointProgramConfig): void {
    for (const name of object.mapNames()) {
      const size = this.spec.mapSizes?.[name];
      if (size !== undefined) object.setMaxEntries(name, size);
      const pin =
        name === 'cilium_policy_v2'
          ? policyMapPath(this.spec.pinRoot, config.endpointId)
          : path.join(this.spec.pinRoot, name);
      object.pinMap(name, pin);
    }
    object.setReadOnlyData(encodeEndpointConfig(config));
  }
}

import * as path from 'node:path';
import koffi from 'koffi';
import { BpfLoadError, errnoName } from './errors';
import { encodeEndpointConfig, EP_CONFIG_SIZE, type EndpointProgramConfig } from './endpoint-config';
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
    const obj = this.open(config);
    this.lib.messages.take();
    const err = this.lib.objectLoad(obj);
    if (err < 0) {
      this.lib.objectClose(obj);
      const details = this.lib.messages.take().join('; ');
      throw new BpfLoadError(
        `loading ${path.basename(this.spec.objectPath)} for endpoint ${config.endpointId} failed: ${errnoName(-err)}${details ? ` (libbpf: ${details})` : ''}`,
        this.spec.objectPath,
        -err,
        this.verifierLog(config),
      );
    }
    const fd = (name: string): number => this.lib.programFd(this.lib.findProgram(obj, name));
    return {
      fromContainerFd: fd('from_container'),
      toContainerFd: fd('to_container'),
      close: () => this.lib.objectClose(obj),
    };
  }

  private open(config: EndpointProgramConfig): unknown {
    const obj = this.lib.openFile(this.spec.objectPath, null);
    if (!obj) {
      const errno = this.lib.errno();
      throw new BpfLoadError(
        `cannot open ${this.spec.objectPath}: ${errnoName(errno)}`,
        this.spec.objectPath,
        errno,
        '',
      );
    }
    try {
      this.prepareMaps(obj, config);
      return obj;
    } catch (err) {
      this.lib.objectClose(obj);
      throw err;
    }
  }

  private prepareMaps(obj: unknown, config: EndpointProgramConfig): void {
    const lib = this.lib;
    for (let map = lib.nextMap(obj, null); map; map = lib.nextMap(obj, map)) {
      const name = lib.mapName(map);
      if (name.includes('.')) {
        if (name.endsWith('.rodata')) this.setEndpointConfig(map, config);
        continue; // internal maps (.rodata, .bss) belong to this load only
      }
      const size = this.spec.mapSizes?.[name];
      if (size !== undefined) check(lib.mapSetMaxEntries(map, size), `set max entries of ${name}`, this.spec);
      const pin =
        name === 'cilium_policy_v2'
          ? policyMapPath(this.spec.pinRoot, config.endpointId)
          : path.join(this.spec.pinRoot, name);
      check(lib.mapSetPinPath(map, pin), `set pin path of ${name}`, this.spec);
    }
  }

  private setEndpointConfig(map: unknown, config: EndpointProgramConfig): void {
    const size: [number] = [0];
    this.lib.mapInitialValue(map, size);
    if (size[0] !== EP_CONFIG_SIZE) {
      throw new BpfLoadError(
        `.rodata of ${this.spec.objectPath} is ${size[0]} bytes, expected struct ep_config (${EP_CONFIG_SIZE}); the object and the loader disagree`,
        this.spec.objectPath,
        0,
        '',
      );
    }
    const data = encodeEndpointConfig(config);
    check(this.lib.mapSetInitialValue(map, data, data.length), 'set endpoint configuration', this.spec);
  }

  /** Loads again with verifier logging on, only after a failure, to explain it. */
  private verifierLog(config: EndpointProgramConfig): string {
    let obj: unknown;
    try {
      obj = this.open(config);
    } catch {
      return '';
    }
    const logs: Array<[string, Buffer]> = [];
    for (const name of ['from_container', 'to_container']) {
      const prog = this.lib.findProgram(obj, name);
      if (!prog) continue;
      const buf = Buffer.alloc(4 << 20);
      this.lib.programSetLogBuf(prog, buf, buf.length);
      this.lib.programSetLogLevel(prog, 1);
      logs.push([name, buf]);
    }
    this.lib.objectLoad(obj);
    this.lib.objectClose(obj);
    return logs
      .map(([name, buf]) => [name, koffi.decode(buf, 'char', -1) as string] as const)
      .filter(([, text]) => text.length > 0)
      .map(([name, text]) => `program ${name}:\n${text}`)
      .join('\n');
  }
}

function check(ret: number, what: string, spec: DatapathSpec): void {
  if (ret < 0) throw new BpfLoadError(`${what}: ${errnoName(-ret)}`, spec.objectPath, -ret, '');
}

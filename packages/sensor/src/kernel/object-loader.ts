import type { BpfLink, BpfObjectConfig } from '@ciliary/datapath';

/** A loaded BPF object as the sensor uses it: attach programs by name, close to detach everything. */
export interface LoadedObject {
  attach(program: string): BpfLink;
  attachTracepoint(program: string, category: string, event: string): BpfLink;
  close(): void;
}

/** How the sensor loads its objects: @ciliary/datapath's loadBpfObject, or a stand-in in tests. */
export type ObjectLoader = (objectPath: string, configure: (config: BpfObjectConfig) => void) => LoadedObject;

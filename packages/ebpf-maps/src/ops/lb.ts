import type { MapBackend, OpenOptions } from '../backend/types';
import {
  BackendState,
  lb4BackendsMap,
  lb4ReverseNatMap,
  lb4ServicesMap,
  ServiceScope,
  type Lb4Backend,
  type Lb4Key,
  type Lb4ReverseNat,
  type Lb4Service,
} from '../maps/lb';
import { lb6BackendsMap, lb6ReverseNatMap, lb6ServicesMap } from '../maps/lb6';
import type { MapOptions } from '../spec';
import { TypedMap } from '../typed-map';

export interface Frontend {
  readonly address: string;
  readonly port: number;
  /** `ServiceScope.External` (default) or `Internal`. */
  readonly scope?: number;
}

export interface ServiceBackend {
  /** Node-local backend ID (key of `cilium_lb4_backends_v2`). */
  readonly id: number;
  readonly address: string;
  readonly port: number;
  readonly proto?: number;
  readonly state?: number;
}

export interface ServiceSpec {
  readonly frontend: Frontend;
  readonly backends: readonly ServiceBackend[];
  readonly revNatIndex: number;
  /** `ServiceFlags` bits. */
  readonly flags?: number;
  readonly flags2?: number;
  /** Session affinity timeout in seconds (kept in the master entry's `backend_id` union). */
  readonly affinityTimeout?: number;
}

/** The entries of the three LB maps for one service (either family: the fields are the same): plain data, no I/O. */
export interface ServiceEntries {
  readonly services: Array<[Lb4Key, Lb4Service]>;
  readonly backends: Array<[number, Lb4Backend]>;
  readonly revNat: [number, Lb4ReverseNat];
}

export function frontendKey(frontend: Frontend, slot: number): Lb4Key {
  return {
    address: frontend.address,
    dport: frontend.port,
    backend_slot: slot,
    proto: 0,
    scope: frontend.scope ?? ServiceScope.External,
  };
}

/** Computes what Cilium 1.12 writes for a service: a master entry (slot 0) and one slot per active backend. */
export function serviceEntries(service: ServiceSpec): ServiceEntries {
  const active = service.backends.filter((b) => (b.state ?? BackendState.Active) === BackendState.Active);
  const common = {
    rev_nat_index: service.revNatIndex,
    flags: service.flags ?? 0,
    flags2: service.flags2 ?? 0,
  };
  const master: [Lb4Key, Lb4Service] = [
    frontendKey(service.frontend, 0),
    { backend_id: service.affinityTimeout ?? 0, count: active.length, ...common },
  ];
  const slots = active.map((b, i): [Lb4Key, Lb4Service] => [
    frontendKey(service.frontend, i + 1),
    { backend_id: b.id, count: 0, ...common },
  ]);
  return {
    services: [master, ...slots],
    backends: service.backends.map((b) => [
      b.id,
      { address: b.address, port: b.port, proto: b.proto ?? 0, flags: b.state ?? BackendState.Active },
    ]),
    revNat: [service.revNatIndex, { address: service.frontend.address, port: service.frontend.port }],
  };
}

/** Options of {@link LoadBalancerMaps.open}. */
export interface LoadBalancerMapsOptions extends MapOptions, OpenOptions {
  /**
   * 4 (default): `cilium_lb4_*`; 6: `cilium_lb6_*`, whose keys and values have
   * the same fields with IPv6 addresses (an IPv4 address there is a CodecError).
   */
  readonly family?: 4 | 6;
}

/**
 * The load-balancing maps of one address family, written in the order that
 * never exposes a slot without its backend.
 */
export class LoadBalancerMaps {
  constructor(
    readonly services: TypedMap<Lb4Key, Lb4Service>,
    readonly backends: TypedMap<number, Lb4Backend>,
    readonly revNat: TypedMap<number, Lb4ReverseNat>,
  ) {}

  static open(backend: MapBackend, options: LoadBalancerMapsOptions = {}): LoadBalancerMaps {
    if (options.family === 6)
      return new LoadBalancerMaps(
        TypedMap.open(backend, lb6ServicesMap(options), options),
        TypedMap.open(backend, lb6BackendsMap(options), options),
        TypedMap.open(backend, lb6ReverseNatMap(options), options),
      );
    return new LoadBalancerMaps(
      TypedMap.open(backend, lb4ServicesMap(options), options),
      TypedMap.open(backend, lb4BackendsMap(options), options),
      TypedMap.open(backend, lb4ReverseNatMap(options), options),
    );
  }

  /** Backends, then reverse NAT, then slots, then the master entry, then slots beyond the new count are removed. */
  upsertService(service: ServiceSpec): void {
    const entries = serviceEntries(service);
    const previous = this.services.get(frontendKey(service.frontend, 0));
    for (const [id, backend] of entries.backends) this.backends.set(id, backend);
    this.revNat.set(...entries.revNat);
    const [master, ...slots] = entries.services;
    for (const [key, value] of slots) this.services.set(key, value);
    if (master) this.services.set(...master);
    for (let slot = slots.length + 1; slot <= (previous?.count ?? 0); slot++)
      this.services.delete(frontendKey(service.frontend, slot));
  }

  /** Removes the service's master and slot entries and its reverse NAT entry (backends may be shared). */
  deleteService(frontend: Frontend): boolean {
    const master = this.services.get(frontendKey(frontend, 0));
    if (master === undefined) return false;
    this.services.delete(frontendKey(frontend, 0));
    for (let slot = 1; slot <= master.count; slot++) this.services.delete(frontendKey(frontend, slot));
    this.revNat.delete(master.rev_nat_index);
    return true;
  }
}

import { createHash } from 'node:crypto';
import type { ResourceTypeRegistry } from '../resources/resource-types';
import { byCodePoint } from '../util';

/** One resource of a snapshot: its name, its canonical proto3 JSON and its protobuf encoding. */
export interface SnapshotResource {
  readonly typeUrl: string;
  readonly name: string;
  readonly json: Readonly<Record<string, unknown>>;
  readonly bytes: Uint8Array;
}

type ByType = ReadonlyMap<string, ReadonlyMap<string, SnapshotResource>>;

/** Hands already sorted and versioned contents to the constructor (see `Snapshot.union`). */
const PREBUILT = Symbol('prebuilt');

/**
 * An immutable, checked set of xDS resources for one node, grouped by type URL,
 * with one version per type. A version is a digest of the type's resources, so
 * an unchanged type keeps its version across rebuilds and clients are not
 * pushed anything new.
 */
export class Snapshot {
  private readonly byType: ByType;
  private readonly versions: ReadonlyMap<string, string>;
  private readonly resourceVersions = new WeakMap<SnapshotResource, string>();

  constructor(
    readonly registry: ResourceTypeRegistry,
    resources: Iterable<SnapshotResource>,
    prebuilt?: { [PREBUILT]: { byType: ByType; versions: ReadonlyMap<string, string> } },
  ) {
    if (prebuilt) {
      this.byType = prebuilt[PREBUILT].byType;
      this.versions = prebuilt[PREBUILT].versions;
      return;
    }
    const byType = new Map<string, Map<string, SnapshotResource>>();
    for (const typeUrl of registry.typeUrls()) byType.set(typeUrl, new Map());
    for (const resource of resources) {
      let named = byType.get(resource.typeUrl);
      if (!named) byType.set(resource.typeUrl, (named = new Map()));
      named.set(resource.name, Object.freeze(resource));
    }
    const sorted = new Map<string, ReadonlyMap<string, SnapshotResource>>();
    const versions = new Map<string, string>();
    for (const [typeUrl, named] of byType) {
      const entries = [...named.entries()].sort(([a], [b]) => byCodePoint(a, b));
      sorted.set(typeUrl, new Map(entries));
      versions.set(typeUrl, digest(entries.map(([, r]) => r)));
    }
    this.byType = sorted;
    this.versions = versions;
  }

  /**
   * The union of two snapshots with no name in common (a shared part and a
   * node's own part), without re-sorting or re-hashing the shared part: a
   * type only `base` has keeps its map and version; a merged type's version is
   * a digest of both versions, so equal parts still give equal versions.
   */
  static union(base: Snapshot, extra: Snapshot): Snapshot {
    const byType = new Map(base.byType);
    const versions = new Map(base.versions);
    for (const [typeUrl, named] of extra.byType) {
      if (named.size === 0) continue;
      const merged = [...(base.byType.get(typeUrl) ?? new Map()).entries(), ...named.entries()];
      byType.set(typeUrl, new Map(merged.sort(([a], [b]) => byCodePoint(a, b))));
      versions.set(
        typeUrl,
        createHash('sha256')
          .update(`${base.version(typeUrl)}\0${extra.version(typeUrl)}`)
          .digest('hex')
          .slice(0, 16),
      );
    }
    return new Snapshot(base.registry, [], { [PREBUILT]: { byType, versions } });
  }

  /** The version of one type's resources; equal versions mean equal contents. */
  version(typeUrl: string): string {
    return this.versions.get(typeUrl) ?? digest([]);
  }

  /** The version of one resource (a digest of its encoding), for delta xDS. */
  resourceVersion(resource: SnapshotResource): string {
    let version = this.resourceVersions.get(resource);
    if (version === undefined) {
      version = digest([resource]);
      this.resourceVersions.set(resource, version);
    }
    return version;
  }

  /** One type's resources by name, in name order. */
  resources(typeUrl: string): ReadonlyMap<string, SnapshotResource> {
    return this.byType.get(typeUrl) ?? new Map();
  }

  resource(typeUrl: string, name: string): SnapshotResource | undefined {
    return this.byType.get(typeUrl)?.get(name);
  }

  typeUrls(): string[] {
    return [...this.byType.keys()];
  }

  /** Every resource, type by type in registry order. */
  all(): SnapshotResource[] {
    return [...this.byType.values()].flatMap((named) => [...named.values()]);
  }

  /** The snapshot as plain proto3 JSON, each resource with its `@type`, per type URL. */
  toJson(): Record<string, { version: string; resources: Array<Record<string, unknown>> }> {
    const out: Record<string, { version: string; resources: Array<Record<string, unknown>> }> = {};
    for (const [typeUrl, named] of this.byType) {
      if (named.size === 0) continue;
      out[typeUrl] = {
        version: this.version(typeUrl),
        resources: [...named.values()].map((r) => ({ '@type': typeUrl, ...r.json })),
      };
    }
    return out;
  }
}

function digest(resources: readonly SnapshotResource[]): string {
  const hash = createHash('sha256');
  for (const resource of resources) {
    hash.update(resource.name);
    hash.update('\0');
    hash.update(resource.bytes);
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

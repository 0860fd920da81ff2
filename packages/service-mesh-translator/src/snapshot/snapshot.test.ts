import { describe, expect, test } from '@jest/globals';
import { TypeUrls } from '../envoy/type-urls';
import { envoyResourceTypes } from '../resources/resource-types';
import { Snapshot, type SnapshotResource } from './snapshot';

const registry = envoyResourceTypes();

function resource(typeUrl: string, name: string): SnapshotResource {
  return { typeUrl, name, json: { name }, bytes: new TextEncoder().encode(name) };
}

describe('Snapshot.union', () => {
  const shared = new Snapshot(registry, [
    resource(TypeUrls.cluster, 'b'),
    resource(TypeUrls.cluster, 'd'),
    resource(TypeUrls.routeConfiguration, 'r'),
  ]);
  const own = new Snapshot(registry, [resource(TypeUrls.cluster, 'a'), resource(TypeUrls.listener, 'l')]);

  test('holds both parts, each type in name order', () => {
    const union = Snapshot.union(shared, own);
    expect([...union.resources(TypeUrls.cluster).keys()]).toEqual(['a', 'b', 'd']);
    expect(
      union
        .all()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['a', 'b', 'd', 'l', 'r']);
    expect(union.resource(TypeUrls.listener, 'l')).toBeDefined();
  });

  test('versions: unchanged types keep the shared version; equal parts give equal versions', () => {
    const union = Snapshot.union(shared, own);
    expect(union.version(TypeUrls.routeConfiguration)).toBe(shared.version(TypeUrls.routeConfiguration));
    expect(union.version(TypeUrls.cluster)).not.toBe(shared.version(TypeUrls.cluster));
    const again = Snapshot.union(new Snapshot(registry, shared.all()), new Snapshot(registry, own.all()));
    expect(registry.typeUrls().map((t) => again.version(t))).toEqual(
      registry.typeUrls().map((t) => union.version(t)),
    );
    const other = Snapshot.union(shared, new Snapshot(registry, [resource(TypeUrls.cluster, 'c')]));
    expect(other.version(TypeUrls.cluster)).not.toBe(union.version(TypeUrls.cluster));
  });
});

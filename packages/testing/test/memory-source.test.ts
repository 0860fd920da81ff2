import { describe, expect, test } from '@jest/globals';
import type { KubeObject, ResourceEvent, ResourceKind } from '@ciliary/core';
import { MemorySource } from '../src';

const PODS: ResourceKind = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', namespaced: true };
const NODES: ResourceKind = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', namespaced: false };
const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'a', name },
});

function record(source: MemorySource, kind: ResourceKind): string[] {
  const seen: string[] = [];
  source.subscribe(kind, (e: ResourceEvent) =>
    seen.push(e.type === 'synced' ? 'synced' : `${e.type} ${e.key}`),
  );
  return seen;
}

describe('MemorySource', () => {
  test('replays known objects, then synced once the kind is synced, then live changes', () => {
    const source = new MemorySource();
    source.upsert(PODS, pod('p1'));
    const seen = record(source, PODS);
    source.markSynced(PODS);
    source.markSynced(PODS);
    source.upsert(PODS, pod('p2'));
    source.delete(PODS, pod('p1'));
    source.delete(PODS, pod('gone'));
    expect(seen).toEqual(['upsert a/p1', 'synced', 'upsert a/p2', 'delete a/p1']);
    expect(record(source, PODS)).toEqual(['upsert a/p2', 'synced']);
    expect(source.list(PODS).map((p) => p.metadata.name)).toEqual(['p2']);
  });

  test('start syncs the kinds it was given; status tells each kind', async () => {
    const source = new MemorySource([PODS]);
    const seen = record(source, PODS);
    record(source, NODES);
    expect(source.status().synced).toBe(false);
    await source.start();
    expect(seen).toEqual(['synced']);
    expect(source.status().kinds).toEqual([
      { kind: expect.stringContaining('Pod'), objects: 0, synced: true },
      { kind: expect.stringContaining('Node'), objects: 0, synced: false },
    ]);
    expect(source.status().synced).toBe(false);
  });
});

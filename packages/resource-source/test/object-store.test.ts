import { describe, expect, test } from '@jest/globals';
import type { KubeObject, ResourceEvent } from '@ciliary/core';
import { ObjectStore } from '../src/object-store';

const pod = (name: string, ip: unknown): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  status: { podIPs: ip },
});

describe('ObjectStore', () => {
  test('a subscriber that throws on an object keeps no other subscriber from hearing of it', () => {
    const failures: string[] = [];
    const store = new ObjectStore('Pod', (err, event) =>
      failures.push(`${'key' in event ? event.key : event.type}: ${(err as Error).message}`),
    );
    // A subscriber that chokes on a malformed status, as a strict parser would.
    store.subscribe((e) => {
      if (
        e.type === 'upsert' &&
        !Array.isArray(e.object['status'] && (e.object['status'] as { podIPs?: unknown }).podIPs)
      )
        throw new Error('podIPs is not a list');
    });
    const seen: string[] = [];
    store.subscribe((e: ResourceEvent) => seen.push(e.type === 'synced' ? 'synced' : `${e.type} ${e.key}`));
    store.upsert(pod('bad', 'x'));
    store.upsert(pod('good', [{ ip: '10.0.0.1' }]));
    store.markSynced();
    expect(seen).toEqual(['upsert default/bad', 'upsert default/good', 'synced']);
    expect(failures).toEqual(['default/bad: podIPs is not a list']);
    // A subscriber that arrives later hears the replay in full too.
    const late: string[] = [];
    store.subscribe((e) => late.push(e.type));
    expect(late).toEqual(['upsert', 'upsert', 'synced']);
  });
});

import { describe, expect, test } from '@jest/globals';
import { featureManifests, routeFeature } from './support';

// ingress-controller-conformance, features/load_balancing.feature: the default backend's
// deployment scaled to 10 pods; 100 requests must all answer 200 and reach 10 different pods.
const objects = featureManifests('load-balancing');

describe('conformance: load balancing', () => {
  test('100 requests answer 200 and reach the 10 pods, spread evenly by round-robin', () => {
    const results = routeFeature(objects, ['GET http://load-balancing'], { count: 100 });
    expect(results).toHaveLength(100);
    expect(results.every((r) => r.status === 200 && r.backend === 'conformance/echo-service:8080')).toBe(
      true,
    );
    const perPod = new Map<string, number>();
    for (const r of results) perPod.set(r.endpoint!, (perPod.get(r.endpoint!) ?? 0) + 1);
    expect(perPod.size).toBe(10);
    expect([...perPod.values()]).toEqual(Array(10).fill(10));
  });
});

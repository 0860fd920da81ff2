import { describe, expect, test } from '@jest/globals';
import { featureManifests, routeFeature } from './support';
import { simulate } from '../support/simulate';

// ingress-controller-conformance, features/ingress_class.feature: an Ingress with an invalid
// class gets no load balancer (so no status address) and its traffic reaches nothing.
const objects = featureManifests('ingress-class');

describe('conformance: ingress class', () => {
  test('an Ingress with an invalid ingress class is not served: no load balancer, no status address', () => {
    const { translation } = simulate(objects);
    expect(translation.loadBalancers).toEqual([]);
    expect(translation.services).toEqual([]);
    expect(translation.skipped).toEqual([
      {
        namespace: 'conformance',
        name: 'test-ingress-class',
        reason: 'ingressClassName "some-invalid-class-name" is another controller\'s class',
      },
    ]);
  });

  test('an Ingress with an invalid ingress class does not send traffic to the matching backend service', () => {
    expect(
      routeFeature(objects, ['GET http://ingress-class/'], { ingress: 'conformance/test-ingress-class' }),
    ).toEqual([
      {
        request: 'GET http://ingress-class/',
        status: null,
        backend: null,
        location: null,
        endpoint: null,
        reason: 'Ingress conformance/test-ingress-class is not served by any load balancer',
      },
    ]);
  });
});

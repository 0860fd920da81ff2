import { describe, expect, test } from '@jest/globals';
import { featureManifests, routeFeature, servedBy } from './support';

// ingress-controller-conformance, features/default_backend.feature: each example of the outline.
// An empty host in the suite means the load balancer's address.
const objects = featureManifests('default-backend');

describe('conformance: default backend', () => {
  test.each([
    ['GET', 'my-host', ''],
    ['GET', 'my-host', 'sub-path'],
    ['POST', 'some-host', ''],
    ['PUT', '192.0.2.10', 'resource'],
    ['DELETE', 'some-host', 'resource'],
    ['PATCH', 'my-host', 'resource'],
  ])('%s http://%s/%s is served by echo-service', (method, host, path) => {
    const [result] = routeFeature(objects, [`${method} http://${host}/${path}`]);
    expect({ status: result!.status, service: servedBy(result!), request: result!.request }).toEqual({
      status: 200,
      service: 'echo-service',
      request: `${method} http://${host}/${path}`,
    });
  });
});

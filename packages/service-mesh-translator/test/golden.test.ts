import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@ciliary/core';
import { buildServiceMeshSnapshots, EnvoyCodec, envoyResourceTypes, type Snapshot } from '../src';

// Golden scenarios: test/golden/<case>/input.yaml (manifests) -> expected.json
// (the Envoy, proxyless and sidecar snapshots as proto3 JSON, redirects, issues).
// UPDATE_GOLDEN=1 rewrites expected.json; review the diff before committing.
const goldenDir = path.join(__dirname, 'golden');
const cases = readdirSync(goldenDir).filter((name) => existsSync(path.join(goldenDir, name, 'input.yaml')));

function readObjects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
    .map((o) =>
      ['GatewayClass', 'Namespace'].includes(o.kind)
        ? o
        : { ...o, metadata: { namespace: 'default', ...o.metadata } },
    );
}

/** Snapshots by key, as JSON; left out when there are none, as in cases without sidecars or consumer routes. */
function optional(field: string, snapshots: ReadonlyMap<string, Snapshot>): Record<string, unknown> {
  if (snapshots.size === 0) return {};
  return { [field]: Object.fromEntries([...snapshots].map(([key, snapshot]) => [key, snapshot.toJson()])) };
}

let codec: EnvoyCodec;
beforeAll(() => {
  codec = EnvoyCodec.load();
});

describe('golden translation scenarios', () => {
  test('there are golden cases', () => expect(cases.length).toBeGreaterThan(0));

  test.each(cases)('%s', (name) => {
    const objects = readObjects(path.join(goldenDir, name, 'input.yaml'));
    const of = (...kinds: string[]) => objects.filter((o) => kinds.includes(o.kind));
    const result = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
      envoyConfigs: of('CiliumEnvoyConfig', 'CiliumClusterwideEnvoyConfig'),
      services: of('Service'),
      endpointSlices: of('EndpointSlice'),
      routes: of('HTTPRoute', 'GRPCRoute'),
      referenceGrants: of('ReferenceGrant'),
      gatewayClasses: of('GatewayClass'),
      gateways: of('Gateway'),
      secrets: of('Secret'),
      pods: of('Pod'),
      namespaces: of('Namespace'),
    });
    const actual = {
      envoy: result.envoy.toJson(),
      proxyless: result.proxyless.toJson(),
      ...optional('proxylessByNamespace', result.proxylessByNamespace),
      ...optional('sidecars', result.sidecars),
      redirects: result.redirects,
      proxyPorts: Object.fromEntries(result.proxyPorts),
      routeStatuses: result.routeStatuses,
      gatewayStatuses: result.gatewayStatuses,
      issues: result.issues,
    };
    const expectedFile = path.join(goldenDir, name, 'expected.json');
    if (process.env['UPDATE_GOLDEN'] === '1')
      writeFileSync(expectedFile, `${JSON.stringify(actual, null, 2)}\n`);
    expect(JSON.parse(JSON.stringify(actual))).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
  });
});

import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import type { ClusterService, PortConfiguration } from './formats/service';
import { ParseMemo, buildLocalServices } from './local-services';
import { MergeMemo, isSelected, mergeServices, toServiceListJson, type MergedService } from './merge';

function svc(name: string, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: 'ns', name, annotations },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }] },
  };
}

function slice(service: string, ready: string[], terminating: string[] = []): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'ns', name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      ...ready.map((ip) => ({ addresses: [ip] })),
      ...terminating.map((ip) => ({ addresses: [ip], conditions: { ready: false, terminating: true } })),
    ],
  };
}

function remote(
  cluster: string,
  name: string,
  ips: string[],
  flags = { includeExternal: true, shared: true },
): ClusterService {
  const backends = new Map<string, PortConfiguration>();
  for (const ip of ips) backends.set(ip, { http: { protocol: 'TCP', port: 8080 } });
  return {
    cluster,
    namespace: 'ns',
    name,
    frontends: new Map(),
    backends,
    labels: {},
    selector: {},
    ...flags,
  };
}

function merge(local: KubeObject[], remotes: ClusterService[]): MergedService[] {
  const remoteMap = new Map<string, Map<string, ClusterService>>();
  for (const r of remotes) {
    const byId = remoteMap.get(r.cluster) ?? new Map<string, ClusterService>();
    byId.set(`${r.namespace}/${r.name}`, r);
    remoteMap.set(r.cluster, byId);
  }
  const table = buildLocalServices(
    local.filter((o) => o.kind === 'Service'),
    local.filter((o) => o.kind === 'EndpointSlice'),
  );
  return [...mergeServices({ localCluster: 'c1', local: table, remote: remoteMap }).services];
}

/** `IP(cluster)` per backend, `*` marking those new connections may use. */
function picture(service: MergedService | undefined): string[] {
  return (service?.backends ?? []).map(
    (b) => `${b.ip}(${b.cluster})${isSelected(service!, b) ? '*' : ''}${b.preferred ? ' preferred' : ''}`,
  );
}

describe('merging services across clusters', () => {
  test('a global service takes the backends of every remote cluster', () => {
    const [web] = merge(
      [svc('web', { 'service.cilium.io/global': 'true' }), slice('web', ['10.1.0.1'])],
      [remote('c2', 'web', ['10.2.0.1']), remote('c3', 'web', ['10.3.0.1', '10.3.0.2'])],
    );
    expect(picture(web)).toEqual(['10.1.0.1(c1)*', '10.2.0.1(c2)*', '10.3.0.1(c3)*', '10.3.0.2(c3)*']);
    expect(web?.selection).toBe('all');
  });

  test('a service that is not global locally ignores remote backends', () => {
    const [web] = merge([svc('web'), slice('web', ['10.1.0.1'])], [remote('c2', 'web', ['10.2.0.1'])]);
    expect(picture(web)).toEqual(['10.1.0.1(c1)*']);
  });

  test('the 1.12 names work as well: io.cilium/global-service', () => {
    const [web] = merge(
      [svc('web', { 'io.cilium/global-service': 'true' })],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(picture(web)).toEqual(['10.2.0.1(c2)*']);
  });

  test('a remote copy that is global but not shared contributes nothing', () => {
    const [web] = merge(
      [svc('web', { 'service.cilium.io/global': 'true' }), slice('web', ['10.1.0.1'])],
      [
        remote('c2', 'web', ['10.2.0.1'], { includeExternal: true, shared: false }),
        remote('c3', 'web', ['10.3.0.1']),
      ],
    );
    expect(picture(web)).toEqual(['10.1.0.1(c1)*', '10.3.0.1(c3)*']);
  });

  test('as in 1.12, a remote copy without annotations still contributes', () => {
    const [web] = merge(
      [svc('web', { 'service.cilium.io/global': 'true' })],
      [remote('c2', 'web', ['10.2.0.1'], { includeExternal: false, shared: false })],
    );
    expect(picture(web)).toEqual(['10.2.0.1(c2)*']);
  });

  test('affinity local prefers local backends and falls back to remote ones when none is active', () => {
    const annotations = { 'service.cilium.io/global': 'true', 'service.cilium.io/affinity': 'local' };
    const [healthy] = merge(
      [svc('web', annotations), slice('web', ['10.1.0.1'])],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(picture(healthy)).toEqual(['10.1.0.1(c1)* preferred', '10.2.0.1(c2)']);
    expect(healthy?.selection).toBe('preferred');

    const [draining] = merge(
      [svc('web', annotations), slice('web', [], ['10.1.0.1'])],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(picture(draining)).toEqual(['10.2.0.1(c2)*', '10.1.0.1(c1) preferred']);
    expect(draining?.selection).toBe('all');
  });

  test('affinity remote prefers remote backends, with the 1.12 annotation name', () => {
    const [web] = merge(
      [
        svc('web', { 'io.cilium/global-service': 'true', 'io.cilium/service-affinity': 'Remote' }),
        slice('web', ['10.1.0.1']),
      ],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(picture(web)).toEqual(['10.2.0.1(c2)* preferred', '10.1.0.1(c1)']);
    const [alone] = merge(
      [
        svc('web', { 'service.cilium.io/global': 'true', 'service.cilium.io/affinity': 'remote' }),
        slice('web', ['10.1.0.1']),
      ],
      [],
    );
    expect(picture(alone)).toEqual(['10.1.0.1(c1)*']);
  });

  test('affinity none prefers nothing', () => {
    const [web] = merge(
      [
        svc('web', { 'service.cilium.io/global': 'true', 'service.cilium.io/affinity': 'none' }),
        slice('web', ['10.1.0.1']),
      ],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(picture(web)).toEqual(['10.1.0.1(c1)*', '10.2.0.1(c2)*']);
  });

  test('a local backend wins an IP conflict; among remote clusters the first by name', () => {
    const table = buildLocalServices(
      [svc('web', { 'service.cilium.io/global': 'true' })],
      [slice('web', ['10.9.0.1'])],
    );
    const remoteMap = new Map([
      ['c3', new Map([['ns/web', remote('c3', 'web', ['10.9.0.1', '10.9.0.2'])]])],
      ['c2', new Map([['ns/web', remote('c2', 'web', ['10.9.0.2'])]])],
    ]);
    const result = mergeServices({ localCluster: 'c1', local: table, remote: remoteMap });
    expect(picture(result.services[0])).toEqual(['10.9.0.1(c1)*', '10.9.0.2(c2)*']);
    expect(result.conflicts.map((c) => c.message)).toEqual([
      'backend 10.9.0.1 of cluster c3 conflicts with the one of cluster c1, which is kept',
      'backend 10.9.0.2 of cluster c3 conflicts with the one of cluster c2, which is kept',
    ]);
  });

  test("entries a remote cluster publishes under the local cluster's name are ignored", () => {
    const [web] = merge(
      [svc('web', { 'service.cilium.io/global': 'true' })],
      [remote('c1', 'web', ['10.2.0.1'])],
    );
    expect(picture(web)).toEqual([]);
  });

  test('remote services without a local service are not programmed', () => {
    expect(merge([], [remote('c2', 'web', ['10.2.0.1'])])).toEqual([]);
  });

  test('the CLI shape: one entry per frontend, preferred meaning preferred and active', () => {
    const services = merge(
      [
        svc('web', { 'service.cilium.io/global': 'true', 'service.cilium.io/affinity': 'local' }),
        slice('web', ['10.1.0.1'], ['10.1.0.2']),
      ],
      [remote('c2', 'web', ['10.2.0.1'])],
    );
    expect(toServiceListJson(services)).toEqual({
      services: [
        {
          namespace: 'ns',
          name: 'web',
          frontend: '10.96.0.1:80/TCP',
          backends: [
            { address: '10.1.0.1:8080', cluster: 'c1', preferred: true },
            { address: '10.2.0.1:8080', cluster: 'c2', preferred: false },
            { address: '10.1.0.2:8080', cluster: 'c1', preferred: false },
          ],
        },
      ],
    });
  });
});

describe('merging again after a change', () => {
  test('reuses the results of untouched services and redoes the changed ones', () => {
    const memo = new MergeMemo();
    const parse = new ParseMemo();
    const services = [
      svc('a', { 'service.cilium.io/global': 'true' }),
      svc('b', { 'service.cilium.io/global': 'true' }),
    ];
    const slices = [slice('a', ['10.1.0.1']), slice('b', ['10.1.0.2'])];
    const remoteA = remote('c2', 'a', ['10.2.0.1']);
    const remoteB = remote('c2', 'b', ['10.2.0.2']);
    const run = (b: ClusterService): MergedService[] => [
      ...mergeServices(
        {
          localCluster: 'c1',
          local: buildLocalServices(services, slices, parse),
          remote: new Map([
            [
              'c2',
              new Map([
                ['ns/a', remoteA],
                ['ns/b', b],
              ]),
            ],
          ]),
        },
        memo,
      ).services,
    ];
    const first = run(remoteB);
    const second = run(remoteB);
    expect(second[0]).toBe(first[0]);
    expect(second[1]).toBe(first[1]);
    const third = run(remote('c2', 'b', ['10.2.0.9']));
    expect(third[0]).toBe(first[0]);
    expect(picture(third[1])).toEqual(['10.1.0.2(c1)*', '10.2.0.9(c2)*']);
  });
});

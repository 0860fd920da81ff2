import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { formatKeyPort, PolicyEngine, PolicyValidator, type EndpointPolicyChange } from '../src';

const validator = new PolicyValidator();

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const pod = (
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ip: string,
  ports: object[] = [],
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'c', ports }] },
  status: { podIP: ip },
});
const cnp = (namespace: string, name: string, spec: object): KubeObject => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumNetworkPolicy',
  metadata: { name, namespace },
  spec,
});

function summary(changes: readonly EndpointPolicyChange[]): string[] {
  return changes.map(
    (c) =>
      `${c.endpoint}${c.removed ? ' removed' : ''}: +${c.diff.upserts.map((e) => `${e.key.direction[0]}${e.key.identity}:${formatKeyPort(e.key)}`).join(',')}` +
      ` -${c.diff.deletes.map((k) => `${k.direction[0]}${k.identity}:${formatKeyPort(k)}`).join(',')}`,
  );
}

function engineWith(...objects: KubeObject[]): PolicyEngine {
  const engine = new PolicyEngine({ validator });
  for (const o of objects) expect(engine.upsert(o)).toEqual([]);
  engine.flush();
  return engine;
}

const WEB_FROM_CLIENT = cnp('a', 'web-in', {
  endpointSelector: { matchLabels: { app: 'web' } },
  ingress: [
    {
      fromEndpoints: [{ matchLabels: { app: 'client' } }],
      toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }],
    },
  ],
});

describe('policy engine: incremental updates', () => {
  test('adding and removing a policy yields only the touched endpoint diffs', () => {
    const engine = engineWith(
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      pod('a', 'client', { app: 'client' }, '10.0.0.2'),
    );
    engine.upsert(WEB_FROM_CLIENT);
    expect(summary(engine.flush())).toEqual(['a/web: +i257:80/TCP -i0:ANY']);
    expect(engine.flush()).toEqual([]);
    engine.delete(WEB_FROM_CLIENT);
    expect(summary(engine.flush())).toEqual(['a/web: +i0:ANY -i257:80/TCP']);
  });

  test('an invalid update is rejected whole and the previous version stays in force', () => {
    const engine = engineWith(
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      pod('a', 'client', { app: 'client' }, '10.0.0.2'),
      WEB_FROM_CLIENT,
    );
    const broken = cnp('a', 'web-in', {
      endpointSelector: { matchLabels: { app: 'web' } },
      ingress: [{ toPorts: [{ ports: [{ port: 80 }] }] }],
    });
    expect(engine.upsert(broken).map((i) => i.path)).toEqual(['/spec/ingress/0/toPorts/0/ports/0/port']);
    expect(engine.flush()).toEqual([]);
    expect(
      engine.endpoint('a/web')?.mapState?.get({ identity: 257, direction: 'ingress', protocol: 6, port: 80 }),
    ).toBeDefined();
    expect([...engine.rejectedPolicies().keys()]).toEqual(['CiliumNetworkPolicy/a/web-in']);
  });

  test('relabelling a pod moves it to another identity and updates the endpoints selecting it', () => {
    const engine = engineWith(
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      pod('a', 'client', { app: 'client' }, '10.0.0.2'),
      WEB_FROM_CLIENT,
    );
    engine.upsert(pod('a', 'client', { app: 'other' }, '10.0.0.2'));
    expect(summary(engine.flush())).toEqual(['a/web: + -i257:80/TCP']);
    expect(engine.endpoint('a/client')?.identity.labels.get('k8s', 'app')).toBe('other');
    expect(engine.identity(257)).toBeUndefined();
  });

  test('relabelling a namespace re-derives the identities of its pods', () => {
    const engine = engineWith(
      ns('a'),
      ns('b', { team: 'x' }),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      pod('b', 'client', { app: 'client' }, '10.0.0.2'),
      cnp('a', 'from-team-x', {
        endpointSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            fromEndpoints: [
              {
                matchLabels: {
                  'k8s:io.cilium.k8s.namespace.labels.team': 'x',
                  'k8s:io.kubernetes.pod.namespace': 'b',
                },
              },
            ],
          },
        ],
      }),
    );
    expect(
      engine.endpoint('a/web')?.mapState?.get({ identity: 257, direction: 'ingress', protocol: 0, port: 0 }),
    ).toBeDefined();
    engine.upsert(ns('b', { team: 'y' }));
    expect(summary(engine.flush())).toEqual(['a/web: + -i257:ANY']);
    engine.upsert(ns('b', { team: 'x' }));
    expect(summary(engine.flush())).toEqual(['a/web: +i257:ANY -']);
  });

  test('a deleted pod reports its whole map state as deletes', () => {
    const engine = engineWith(ns('a'), pod('a', 'web', { app: 'web' }, '10.0.0.1'));
    engine.delete(pod('a', 'web', {}, '10.0.0.1'));
    expect(summary(engine.flush())).toEqual(['a/web removed: + -i0:ANY,i1:ANY,e0:ANY']);
    expect(engine.endpointKeys()).toEqual([]);
    expect(engine.identityOfAddress('10.0.0.1')).toBe(2);
  });

  test('egress named ports follow every pod: a second number for the name unresolves it', () => {
    const engine = engineWith(
      ns('a'),
      pod('a', 'api', { app: 'api' }, '10.0.0.1', [{ name: 'http', containerPort: 8080 }]),
      pod('a', 'client', { app: 'client' }, '10.0.0.2'),
      cnp('a', 'client-out', {
        endpointSelector: { matchLabels: { app: 'client' } },
        egress: [{ toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] }],
      }),
    );
    expect(
      summary([
        {
          endpoint: 'a/client',
          identity: 0,
          removed: false,
          diff: engine.endpoint('a/client')!.mapState!.diffFrom(undefined),
        },
      ]),
    ).toEqual(['a/client: +i0:ANY,i1:ANY,e0:8080/TCP -']);
    engine.upsert(pod('a', 'api-2', { app: 'api' }, '10.0.0.3', [{ name: 'http', containerPort: 9090 }]));
    expect(summary(engine.flush())).toEqual(['a/api-2: +i0:ANY,i1:ANY,e0:ANY -', 'a/client: + -e0:8080/TCP']);
  });

  test('CIDR identities are shared by policies and freed with the last one', () => {
    const egress = (name: string) =>
      cnp('a', name, { endpointSelector: {}, egress: [{ toCIDR: ['192.0.2.0/24'] }] });
    const engine = engineWith(
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      egress('one'),
      egress('two'),
    );
    expect(engine.identityOfAddress('192.0.2.7')).toBe((1 << 24) | 1);
    engine.delete(egress('one'));
    engine.flush();
    expect(engine.identityOfAddress('192.0.2.7')).toBe((1 << 24) | 1);
    engine.delete(egress('two'));
    expect(summary(engine.flush())).toEqual(['a/web: +e0:ANY -e16777217:ANY']);
    expect(engine.identityOfAddress('192.0.2.7')).toBe(2);
  });

  test('only pods the agent owns get map state; all pods get identities', () => {
    const engine = new PolicyEngine({ validator, isLocal: (p) => p.nodeName === 'n1' });
    engine.upsert(ns('a'));
    engine.upsert({ ...pod('a', 'here', { app: 'x' }, '10.0.0.1'), spec: { nodeName: 'n1' } });
    engine.upsert({ ...pod('a', 'there', { app: 'y' }, '10.0.0.2'), spec: { nodeName: 'n2' } });
    expect(engine.flush().map((c) => c.endpoint)).toEqual(['a/here']);
    expect(engine.endpoint('a/there')?.mapState).toBeUndefined();
    expect(engine.identityOfAddress('10.0.0.2')).toBe(257);
  });

  test('identities come from the cluster ID range', () => {
    const engine = new PolicyEngine({ validator, config: { clusterId: 3, clusterName: 'east' } });
    engine.upsert(pod('a', 'web', { app: 'web' }, '10.0.0.1'));
    engine.flush();
    expect(engine.endpoint('a/web')?.identity.id).toBe(3 << 16);
    expect(engine.endpoint('a/web')?.identity.labels.get('k8s', 'io.cilium.k8s.policy.cluster')).toBe('east');
  });

  test("enforcement modes: 'always' enforces without rules, 'never' ignores them", () => {
    const objects = [
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      pod('a', 'client', { app: 'client' }, '10.0.0.2'),
      WEB_FROM_CLIENT,
    ];
    const entries = (mode: 'always' | 'never' | 'default', key: string): string[] => {
      const engine = new PolicyEngine({ validator, config: { enforcementMode: mode } });
      for (const o of objects) engine.upsert(o);
      engine.flush();
      return (engine.endpoint(key)?.mapState?.entries ?? []).map(
        (e) => `${e.key.direction[0]}${e.key.identity}:${formatKeyPort(e.key)}`,
      );
    };
    expect(entries('default', 'a/client')).toEqual(['i0:ANY', 'i1:ANY', 'e0:ANY']);
    expect(entries('always', 'a/client')).toEqual(['i1:ANY']);
    expect(entries('always', 'a/web')).toEqual(['i1:ANY', 'i257:80/TCP']);
    expect(entries('never', 'a/web')).toEqual(['i0:ANY', 'i1:ANY', 'e0:ANY']);
  });

  test('without the remote-node identity, remote nodes count as the host', () => {
    const engine = new PolicyEngine({ validator, config: { enableRemoteNodeIdentity: false } });
    for (const o of [
      ns('a'),
      pod('a', 'web', { app: 'web' }, '10.0.0.1'),
      cnp('a', 'from-host', { endpointSelector: {}, egress: [{ toEntities: ['host'] }] }),
    ])
      engine.upsert(o);
    engine.flush();
    expect(
      engine
        .endpoint('a/web')
        ?.mapState?.entries.map((e) => `${e.key.direction[0]}${e.key.identity}:${formatKeyPort(e.key)}`),
    ).toEqual(['i0:ANY', 'i1:ANY', 'i6:ANY', 'e1:ANY', 'e6:ANY', 'e7:ANY']); // kube-apiserver (7) carries reserved:remote-node too
  });
});

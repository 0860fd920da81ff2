import { describe, expect, test } from '@jest/globals';
import { computeEgressEntries, EgressClusterState, pickGateway, type HostInterfaces } from '../src';

const SOURCES = 300;
const GATEWAY_IPS: Record<string, string> = {
  'gw-a': '172.16.0.1',
  'gw-b': '172.16.0.2',
  'gw-c': '172.16.0.3',
  'gw-d': '172.16.0.4',
};
const byIp = Object.fromEntries(Object.entries(GATEWAY_IPS).map(([n, ip]) => [ip, n]));

function gatewayNode(name: string, ready = true) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { egress: 'true' } },
    status: {
      addresses: [{ type: 'InternalIP', address: GATEWAY_IPS[name] ?? '' }],
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  };
}

function haPolicy(failover: boolean) {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEgressGatewayPolicy',
    metadata: { name: 'ha', ...(failover ? { annotations: { 'egress.ciliary.io/failover': 'true' } } : {}) },
    spec: {
      selectors: [{ podSelector: { matchLabels: { app: 'client' } } }],
      destinationCIDRs: ['203.0.113.0/24', '198.51.100.0/24'],
      egressGateway: { nodeSelector: { matchLabels: { egress: 'true' } }, interface: 'eth1' },
    },
  };
}

function cluster(failover = true): EgressClusterState {
  const state = new EgressClusterState();
  for (const name of ['gw-a', 'gw-b', 'gw-c']) state.upsert(gatewayNode(name));
  state.upsert({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'worker' } });
  state.upsert(haPolicy(failover));
  for (let i = 0; i < SOURCES; i++) {
    state.upsert({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `client-${i}`, namespace: 'default', labels: { app: 'client' } },
      status: { podIP: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}` },
    });
  }
  return state;
}

/** The gateway node of every source, as a non-gateway node programs it; both CIDRs must agree. */
function assignment(
  state: EgressClusterState,
  unhealthy: string[] = [],
  node = 'worker',
  host?: HostInterfaces,
) {
  const { entries, policies } = computeEgressEntries(state.state(node, host, new Set(unhealthy)));
  const out = new Map<string, string>();
  for (const e of entries) {
    const gw = byIp[e.gatewayIP] ?? e.gatewayIP;
    const seen = out.get(e.sourceIP);
    if (seen !== undefined) expect(gw).toBe(seen);
    out.set(e.sourceIP, gw);
  }
  expect(entries).toHaveLength(2 * SOURCES);
  return { out, policies, entries };
}

function counts(assigned: Map<string, string>): Record<string, number> {
  const c: Record<string, number> = {};
  for (const gw of assigned.values()) c[gw] = (c[gw] ?? 0) + 1;
  return c;
}

describe('gateway failover (egress.ciliary.io/failover: "true")', () => {
  test('every matching node is a gateway and the sources are shared between them', () => {
    const { out, policies } = assignment(cluster());
    const shares = counts(out);
    expect(Object.keys(shares).sort()).toEqual(['gw-a', 'gw-b', 'gw-c']);
    for (const n of Object.values(shares)) {
      expect(n).toBeGreaterThan(SOURCES / 3 - 35);
      expect(n).toBeLessThan(SOURCES / 3 + 35);
    }
    expect(policies[0]?.gateways).toEqual(
      ['gw-a', 'gw-b', 'gw-c'].map((node) => ({
        node,
        ip: GATEWAY_IPS[node],
        active: true,
        sources: shares[node],
      })),
    );
  });

  test('when a gateway becomes unhealthy only its sources move, and they come back when it recovers', () => {
    const state = cluster();
    const before = assignment(state).out;
    const during = assignment(state, ['gw-b']).out;
    let moved = 0;
    for (const [source, gw] of before) {
      if (gw === 'gw-b') {
        expect(during.get(source)).not.toBe('gw-b');
        moved++;
      } else {
        expect(during.get(source)).toBe(gw);
      }
    }
    expect(moved).toBe(counts(before)['gw-b']);
    expect(moved).toBeGreaterThan(0);
    // Recovered: exactly the original assignment again.
    expect(assignment(state).out).toEqual(before);
  });

  test('a node whose Ready condition is False counts as unhealthy', () => {
    const state = cluster();
    const before = assignment(state).out;
    state.upsert(gatewayNode('gw-c', false));
    const { out, policies } = assignment(state);
    for (const [source, gw] of before) if (gw !== 'gw-c') expect(out.get(source)).toBe(gw);
    expect([...out.values()]).not.toContain('gw-c');
    expect(policies[0]?.gateways.find((g) => g.node === 'gw-c')).toEqual({
      node: 'gw-c',
      ip: '172.16.0.3',
      active: false,
      sources: 0,
    });
  });

  test('a new gateway takes only the sources it now wins', () => {
    const state = cluster();
    const before = assignment(state).out;
    state.upsert(gatewayNode('gw-d'));
    const after = assignment(state).out;
    let taken = 0;
    for (const [source, gw] of before) {
      const now = after.get(source);
      if (now !== gw) {
        expect(now).toBe('gw-d');
        taken++;
      }
    }
    expect(taken).toBe(counts(after)['gw-d']);
    expect(taken).toBeGreaterThan(0);
  });

  test('on a gateway node, its own sources get its egress IP and the others 0.0.0.0', () => {
    const state = cluster();
    const host: HostInterfaces = { interfaces: [{ name: 'eth1', ipv4: ['203.0.113.254'] }] };
    const { entries, policies } = assignment(state, [], 'gw-a', host);
    for (const e of entries) {
      expect(e.egressIP).toBe(e.gatewayIP === '172.16.0.1' ? '203.0.113.254' : '0.0.0.0');
    }
    expect(policies[0]).toMatchObject({ egressIP: '203.0.113.254', interface: 'eth1', errors: [] });
  });

  test('with every gateway down the entries carry gateway 0.0.0.0 and the status says so', () => {
    const { entries, policies } = assignment(cluster(), ['gw-a', 'gw-b', 'gw-c']);
    expect(new Set(entries.map((e) => e.gatewayIP))).toEqual(new Set(['0.0.0.0']));
    expect(policies[0]?.errors).toEqual([
      'no healthy gateway node: entries carry gateway 0.0.0.0 (not found)',
    ]);
  });

  test('without the annotation Cilium’s rule holds: one gateway, health ignored', () => {
    const state = cluster(false);
    const { out } = assignment(state, ['gw-a']);
    expect(new Set(out.values())).toEqual(new Set(['gw-a']));
    state.upsert(gatewayNode('gw-a', false));
    expect(new Set(assignment(state).out.values())).toEqual(new Set(['gw-a']));
  });

  test('the hash is stable: the same source and gateways always pick the same gateway', () => {
    const gateways = [{ name: 'gw-a' }, { name: 'gw-b' }, { name: 'gw-c' }];
    const picks = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((s) => pickGateway(gateways, s)?.name);
    expect(
      ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map(
        (s) => pickGateway([...gateways].reverse(), s)?.name,
      ),
    ).toEqual(picks);
    expect(pickGateway([], '10.0.0.1')).toBeUndefined();
  });
});

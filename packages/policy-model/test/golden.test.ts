import { describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import type { KubeObject } from '@ciliary/core';
import {
  describeIdentity,
  flowVerdict,
  formatKeyPort,
  parseFlow,
  PolicyEngine,
  PolicyValidator,
} from '../src';

/**
 * Golden scenarios: test/golden/<case>/manifests.yaml in; out, the map state of
 * every endpoint (map-state.txt) and the verdicts of hand-written flows
 * (flows.yaml, with the answers Cilium 1.12 gives, worked out by hand).
 * `UPDATE_GOLDEN=1` rewrites map-state.txt only; review the diff.
 */
const root = path.join(__dirname, 'golden');
const validator = new PolicyValidator();
const NAMESPACED = new Set(['Pod', 'CiliumNetworkPolicy', 'NetworkPolicy', 'ServiceAccount']);

interface FlowCase {
  flow: string;
  verdict: 'allowed' | 'denied';
  egress?: 'allowed' | 'denied' | 'redirected';
  ingress?: 'allowed' | 'denied' | 'redirected';
  egressRules?: string[];
  ingressRules?: string[];
  why?: string;
}

function load(dir: string): PolicyEngine {
  const engine = new PolicyEngine({ validator });
  const text = readFileSync(path.join(dir, 'manifests.yaml'), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const object = doc.toJS() as KubeObject | null;
    if (!object) continue;
    if (NAMESPACED.has(object.kind)) object.metadata.namespace ??= 'default';
    const issues = engine.upsert(object);
    if (issues.length > 0) throw new Error(`${path.basename(dir)}: ${JSON.stringify(issues)}`);
  }
  engine.flush();
  return engine;
}

function renderMapStates(engine: PolicyEngine): string {
  const lines: string[] = [];
  for (const key of engine.endpointKeys()) {
    const endpoint = engine.endpoint(key);
    if (!endpoint?.mapState) continue;
    lines.push(`${key} (identity ${endpoint.identity.id}: ${describeIdentity(endpoint.identity)})`);
    for (const { key: k, value: v } of endpoint.mapState.entries) {
      const identity = engine.identity(k.identity);
      const who = k.identity === 0 ? 'ANY' : `${k.identity} ${identity ? describeIdentity(identity) : '?'}`;
      const effect = v.deny ? 'deny' : v.redirect ? `redirect:${v.redirect}` : 'allow';
      lines.push(
        `  ${k.direction.padEnd(7)} ${effect.padEnd(13)} ${formatKeyPort(k).padEnd(11)} ${who}  <- ${v.derivedFrom.join('; ')}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

const cases = readdirSync(root)
  .filter((d) => existsSync(path.join(root, d, 'manifests.yaml')))
  .sort();

describe('golden scenarios', () => {
  test('there are scenarios', () => expect(cases.length).toBeGreaterThanOrEqual(8));

  describe.each(cases)('%s', (name) => {
    const dir = path.join(root, name);
    const engine = load(dir);

    test('map state', () => {
      const file = path.join(dir, 'map-state.txt');
      const actual = renderMapStates(engine);
      if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(file, actual);
      expect(actual).toBe(readFileSync(file, 'utf8'));
    });

    test('flow verdicts', () => {
      const flows = parse(readFileSync(path.join(dir, 'flows.yaml'), 'utf8')) as FlowCase[];
      expect(flows.length).toBeGreaterThan(0);
      for (const c of flows) {
        const v = flowVerdict(engine, parseFlow(c.flow));
        const actual = {
          flow: c.flow,
          verdict: v.verdict,
          ...(c.egress ? { egress: v.egress.decision } : {}),
          ...(c.ingress ? { ingress: v.ingress.decision } : {}),
          ...(c.egressRules ? { egressRules: v.egress.rules } : {}),
          ...(c.ingressRules ? { ingressRules: v.ingress.rules } : {}),
        };
        const expected = {
          flow: c.flow,
          verdict: c.verdict,
          ...(c.egress ? { egress: c.egress } : {}),
          ...(c.ingress ? { ingress: c.ingress } : {}),
          ...(c.egressRules ? { egressRules: c.egressRules } : {}),
          ...(c.ingressRules ? { ingressRules: c.ingressRules } : {}),
        };
        expect(actual).toEqual(expected);
      }
    });
  });
});

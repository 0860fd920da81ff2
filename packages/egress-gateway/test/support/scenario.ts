import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import type { KubeObject } from '@ciliary/core';
import type { HostInterfaces } from '../../src';

/** One step of a scenario: changes, then what the node's map must hold (`SRC DST EGRESS_IP GATEWAY_IP`). */
export interface ScenarioStep {
  readonly name: string;
  readonly apply?: KubeObject[];
  readonly delete?: Array<{ kind: string; name: string; namespace?: string }>;
  /** Replaces the local node's interfaces. */
  readonly host?: HostInterfaces;
  /** Failover: gateways reported unhealthy from this step on. */
  readonly unhealthy?: string[];
  readonly expect: string[];
  /** Errors expected in policy status, by policy id (policies not named must have none). */
  readonly errors?: Record<string, string[]>;
  /** Validation issues expected from this step's apply, as `PATH: MESSAGE`. */
  readonly rejected?: string[];
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly localNode: string;
  readonly host?: HostInterfaces;
  readonly steps: ScenarioStep[];
}

export const GOLDEN_DIR = path.join(__dirname, '..', 'golden');

/** Every case folder under test/golden with its scenario.yaml. */
export function loadScenarios(): Scenario[] {
  return readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const file = path.join(GOLDEN_DIR, d.name, 'scenario.yaml');
      const data = parse(readFileSync(file, 'utf8')) as Omit<Scenario, 'name'>;
      return { name: d.name, ...data };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function formatEntry(e: {
  sourceIP: string;
  destinationCIDR: string;
  egressIP: string;
  gatewayIP: string;
}): string {
  return `${e.sourceIP} ${e.destinationCIDR} ${e.egressIP} ${e.gatewayIP}`;
}

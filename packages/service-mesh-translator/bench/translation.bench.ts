import type { Bench } from 'tinybench';
import { buildServiceMeshSnapshots, EnvoyCodec, envoyResourceTypes } from '../src';
import { envoyConfig, gammaRoute, services } from './inputs';

// Translating 10,000 routes, all the way to a checked, encoded snapshot:
// validation against Envoy's protos and rules, qualification, consistency.
export function register(bench: Bench): void {
  const codec = EnvoyCodec.load();
  const registry = envoyResourceTypes();
  const cluster = services(11);
  const cec = envoyConfig(10_000);
  const route = gammaRoute(10_000);
  const check = (issues: readonly unknown[]): void => {
    if (issues.length > 0) throw new Error(`bench input has problems: ${JSON.stringify(issues.slice(0, 3))}`);
  };
  bench.add('CiliumEnvoyConfig with 10,000 routes -> snapshot', () => {
    check(buildServiceMeshSnapshots(codec, registry, { ...cluster, envoyConfigs: [cec] }).issues);
  });
  bench.add('GAMMA HTTPRoute with 10,000 rules -> proxyless snapshot', () => {
    check(buildServiceMeshSnapshots(codec, registry, { ...cluster, routes: [route] }).issues);
  });
}

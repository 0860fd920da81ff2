import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import { EnvoyCodec, envoyResourceTypes, TypeUrls } from '@ciliary/service-mesh-translator';
import {
  buildIngressXds,
  ingressConfig,
  parseRequestLine,
  RouteEvaluator,
  simulateIngresses,
  translateIngresses,
  type IngressTranslation,
} from '../src';
import { benchCluster, benchRequests } from './inputs';

const INGRESSES = 1_000;
const REQUESTS = 10_000;
/** The agent-side check encodes every resource through Envoy's protos: fewer Ingresses keep a sample short. */
const XDS_INGRESSES = 100;

function of(objects: readonly KubeObject[], kind: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind);
}

function translate(objects: readonly KubeObject[]): IngressTranslation {
  const translation = translateIngresses(
    {
      ingresses: of(objects, 'Ingress'),
      services: of(objects, 'Service'),
      secrets: of(objects, 'Secret'),
    },
    ingressConfig(),
  );
  if (translation.problems.length > 0)
    throw new Error(`bench input has problems: ${translation.problems[0]!.message}`);
  return translation;
}

// The controller's translation of 1,000 Ingresses (2 hosts, 5 paths, TLS each), the agent's
// checked xDS for them, and how fast the generated routes answer requests.
export function register(bench: Bench): void {
  const codec = EnvoyCodec.load();
  const registry = envoyResourceTypes();
  const dedicated = benchCluster(INGRESSES, 'dedicated');
  const shared = benchCluster(INGRESSES, 'shared');
  const requests = benchRequests(INGRESSES, REQUESTS);

  bench.add(`translate ${INGRESSES} Ingresses, dedicated (${INGRESSES} CECs + Services)`, () => {
    translate(dedicated);
  });
  bench.add(`translate ${INGRESSES} Ingresses, shared (1 CEC, ${2 * INGRESSES} hosts)`, () => {
    translate(shared);
  });
  for (const mode of ['dedicated', 'shared'] as const) {
    const objects = benchCluster(XDS_INGRESSES, mode);
    const translation = translate(objects);
    bench.add(`${XDS_INGRESSES} Ingresses, ${mode} -> checked xDS snapshot (LDS/RDS/CDS/EDS/SDS)`, () => {
      const xds = buildIngressXds(codec, registry, {
        envoyConfigs: translation.envoyConfigs,
        services: [...of(objects, 'Service'), ...translation.services],
        endpointSlices: of(objects, 'EndpointSlice'),
        secrets: translation.secrets,
        secretsNamespace: 'cilium-secrets',
      });
      if (xds.issues.length > 0) throw new Error(`xDS problems: ${JSON.stringify(xds.issues[0])}`);
    });
  }

  const simulation = simulateIngresses(codec, { objects: shared }, ingressConfig({ enforceHttps: false }));
  const routes = [...simulation.xds.snapshot.resources(TypeUrls.routeConfiguration).values()].find((r) =>
    r.name.endsWith('listener-insecure'),
  )!.json;
  const evaluator = new RouteEvaluator();
  const parsed = requests.map((line) => {
    const { method, url } = parseRequestLine(line);
    const u = new URL(url);
    return { scheme: 'http' as const, method, authority: u.host, path: `${u.pathname}${u.search}` };
  });
  bench.add(`route evaluation: ${REQUESTS} requests on a ${2 * INGRESSES}-host RouteConfiguration`, () => {
    for (const request of parsed) evaluator.evaluate(routes, request);
  });
  const loadBalancer = simulation.router.loadBalancerFor();
  const full = requests.map(parseRequestLine);
  bench.add(`ingress route: ${REQUESTS} requests through listener, routes, cluster and EDS`, () => {
    for (const request of full) simulation.router.route(request, loadBalancer);
  });
}

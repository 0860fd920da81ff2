import type { KubeObject } from '@ciliary/core';
import { EnvoyCodec } from '@ciliary/service-mesh-translator';
import {
  ingressConfig,
  simulateIngresses,
  type IngressControllerConfig,
  type IngressSimulation,
} from '../../src';

let codec: EnvoyCodec | undefined;

/** Envoy's protos load once per test file (about 150 ms). */
export function envoyCodec(): EnvoyCodec {
  codec ??= EnvoyCodec.load();
  return codec;
}

export function simulate(
  objects: KubeObject[],
  config: Partial<IngressControllerConfig> = {},
): IngressSimulation {
  return simulateIngresses(envoyCodec(), { objects }, ingressConfig(config));
}

/** Sends requests ("METHOD URL") through the only load balancer and returns status, backend and location. */
export function send(
  sim: IngressSimulation,
  requests: string[],
  options: { ingress?: string; headers?: Array<[string, string]> } = {},
): Array<{
  status: number | null;
  backend: string | null;
  location: string | null;
  endpoint: string | null;
}> {
  const lb = sim.router.loadBalancerFor(options.ingress);
  return requests.map((line) => {
    const [method, url] = line.split(' ');
    const result = sim.router.route({ method: method!, url: url!, headers: options.headers ?? [] }, lb);
    return {
      status: result.status,
      backend: result.backend,
      location: result.location,
      endpoint: result.endpoint,
    };
  });
}

import * as path from 'node:path';
import type { KubeObject } from '@ciliary/core';
import { routeRequests, type IngressControllerConfig, type RouteOptions, type RouteResult } from '../../src';
import { readManifests } from '../support/manifests';
import { simulate } from '../support/simulate';

/**
 * The conformance suite runs against Cilium with HTTPS not enforced (its
 * host_rules feature expects plain HTTP to a TLS host to answer 200).
 */
export const CONFORMANCE_CONFIG: Partial<IngressControllerConfig> = { enforceHttps: false };

export function featureManifests(feature: string): KubeObject[] {
  return readManifests(path.join(__dirname, feature, 'manifests.yaml'));
}

/** `ciliary ingress route` over a feature's manifests: one result per request. */
export function routeFeature(
  objects: KubeObject[],
  requests: string[],
  options: RouteOptions & { config?: Partial<IngressControllerConfig> } = {},
): RouteResult[] {
  const { config, ...routeOptions } = options;
  return routeRequests(simulate(objects, { ...CONFORMANCE_CONFIG, ...config }), requests, routeOptions)
    .routes;
}

/** The Service name of a `NAMESPACE/SERVICE:PORT` backend, as the suite's "served by" steps name it. */
export function servedBy(result: RouteResult): string | null {
  return result.backend === null ? null : (/^[^/]+\/([^:]+):/.exec(result.backend)?.[1] ?? null);
}

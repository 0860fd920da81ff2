import { CiliaryError } from '@ciliary/core';
import type { IngressSimulation } from './simulation';
import type { RouteResult } from './router';

/** A `--request` that is not `METHOD URL`. */
export class RequestSyntaxError extends CiliaryError {
  override readonly name = 'RequestSyntaxError';
  constructor(readonly request: string) {
    super(`invalid request "${request}": expected "METHOD URL", e.g. "GET http://foo.bar.com/path"`);
  }
}

export interface RouteOptions {
  /** The Ingress (`NAMESPACE/NAME`) whose load balancer receives the requests; needed when there are several. */
  readonly ingress?: string;
  /** Headers sent with every request. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** Sends each request this many times (round-robin then spreads them over the endpoints). */
  readonly count?: number;
}

/** The `ciliary ingress route -o json` document. */
export interface RouteReport {
  readonly routes: RouteResult[];
}

export function parseRequestLine(line: string): { method: string; url: string } {
  const match = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(line);
  if (!match) throw new RequestSyntaxError(line);
  return { method: match[1]!.toUpperCase(), url: match[2]! };
}

/** What the generated configuration does with each request, in order (each repeated `count` times). */
export function routeRequests(
  simulation: IngressSimulation,
  requests: readonly string[],
  options: RouteOptions = {},
): RouteReport {
  const parsed = requests.map(parseRequestLine);
  const loadBalancer = simulation.router.loadBalancerFor(options.ingress);
  const routes: RouteResult[] = [];
  for (const request of parsed)
    for (let i = 0; i < (options.count ?? 1); i++)
      routes.push(simulation.router.route({ ...request, headers: options.headers ?? [] }, loadBalancer));
  return { routes };
}

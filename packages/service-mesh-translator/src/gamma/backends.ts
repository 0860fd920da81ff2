import type { KubeObject } from '@ciliary/core';
import { assignmentName, type ServiceDirectory } from '../eds/endpoints';
import { isRecord } from '../util';
import type { BackendRef, MeshRoute, RouteRule } from './route-model';

/** A backendRef that did not resolve, with the ResolvedRefs reason Gateway API names. */
export interface UnresolvedBackend {
  readonly reason: string;
  readonly message: string;
}

/**
 * Resolves a route's backendRef to its EDS name (`NAMESPACE/SERVICE:PORT`):
 * only core Services, in the route's namespace or allowed by a ReferenceGrant.
 */
export function resolveBackend(
  route: MeshRoute,
  ref: BackendRef,
  directory: ServiceDirectory,
  grants: readonly KubeObject[],
): string | UnresolvedBackend {
  if (!(ref.kind === 'Service' && (ref.group === '' || ref.group === 'core')))
    return { reason: 'InvalidKind', message: `backend kind ${ref.group}/${ref.kind} is not supported` };
  if (ref.namespace !== route.namespace && !granted(route, ref, grants))
    return {
      reason: 'RefNotPermitted',
      message: `no ReferenceGrant in ${ref.namespace} allows ${route.kind}s from ${route.namespace} to Service ${ref.name}`,
    };
  const service = directory.service(ref.namespace, ref.name);
  if (!service || !service.ports.some((p) => p.port === ref.port))
    return {
      reason: 'BackendNotFound',
      message: `backend Service ${ref.namespace}/${ref.name} port ${ref.port ?? ''} does not exist`,
    };
  return assignmentName(ref.namespace, ref.name, ref.port);
}

function granted(route: MeshRoute, ref: BackendRef, grants: readonly KubeObject[]): boolean {
  return grants.some((grant) => {
    if ((grant.metadata.namespace ?? 'default') !== ref.namespace) return false;
    const spec = isRecord(grant['spec']) ? grant['spec'] : {};
    const from = Array.isArray(spec['from']) ? spec['from'].filter(isRecord) : [];
    const to = Array.isArray(spec['to']) ? spec['to'].filter(isRecord) : [];
    const fromOk = from.some(
      (f) =>
        f['group'] === 'gateway.networking.k8s.io' &&
        f['kind'] === route.kind &&
        f['namespace'] === route.namespace,
    );
    const toOk = to.some(
      (t) =>
        (t['group'] ?? '') === '' &&
        t['kind'] === 'Service' &&
        (t['name'] === undefined || t['name'] === ref.name),
    );
    return fromOk && toOk;
  });
}

/** A rule's backends and mirror targets as clusters, and the references that did not resolve. */
export interface ResolvedBackends {
  readonly clusters: Array<{ cluster: string; weight: number }>;
  readonly mirrors: Array<{ cluster: string; percent: number }>;
  readonly unresolved: UnresolvedBackend[];
}

/** Resolves every backendRef and RequestMirror backend of a rule. */
export function resolveRuleBackends(
  route: MeshRoute,
  rule: RouteRule,
  directory: ServiceDirectory,
  grants: readonly KubeObject[],
): ResolvedBackends {
  const unresolved: UnresolvedBackend[] = [];
  const resolve = (ref: BackendRef): string | undefined => {
    const result = resolveBackend(route, ref, directory, grants);
    if (typeof result === 'string') return result;
    unresolved.push(result);
    return undefined;
  };
  const clusters = rule.backendRefs.flatMap((ref) => {
    const cluster = resolve(ref);
    return cluster === undefined ? [] : [{ cluster, weight: ref.weight }];
  });
  const mirrors = rule.mirrors.flatMap((mirror) => {
    const cluster = resolve(mirror.backend);
    return cluster === undefined ? [] : [{ cluster, percent: mirror.percent }];
  });
  return { clusters, mirrors, unresolved };
}

import type { KubeObject } from '@ciliary/core';
import { isRecord } from '../model/fields';
import type { ServiceBackend } from '../model/ingress';
import type { ProblemReason } from './problems';

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`;
}

/** The Services and Secrets Ingresses refer to, indexed by `NAMESPACE/NAME`. */
export class ClusterObjects {
  private readonly services: ReadonlyMap<string, KubeObject>;
  private readonly secrets: ReadonlyMap<string, KubeObject>;

  constructor(services: readonly KubeObject[], secrets: readonly KubeObject[]) {
    this.services = new Map(services.map((s) => [keyOf(s), s]));
    this.secrets = new Map(secrets.map((s) => [keyOf(s), s]));
  }

  service(namespace: string, name: string): KubeObject | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  secret(namespace: string, name: string): KubeObject | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }
}

export interface ReferenceProblem {
  readonly reason: ProblemReason;
  readonly message: string;
}

/** Why a backend cannot receive traffic: its Service or the named or numbered port is missing. */
export function backendProblem(
  backend: ServiceBackend,
  objects: ClusterObjects,
): ReferenceProblem | undefined {
  const service = objects.service(backend.namespace, backend.service);
  if (!service)
    return {
      reason: 'ServiceNotFound',
      message: `Service ${backend.namespace}/${backend.service} not found; requests for it get 503`,
    };
  const spec = isRecord(service['spec']) ? service['spec'] : {};
  const ports = Array.isArray(spec['ports']) ? spec['ports'].filter(isRecord) : [];
  const found = ports.some(
    (p) => (typeof backend.port === 'number' ? p['port'] : p['name']) === backend.port,
  );
  if (found) return undefined;
  return {
    reason: 'ServicePortNotFound',
    message: `Service ${backend.namespace}/${backend.service} has no port ${JSON.stringify(backend.port)}; requests for it get 503`,
  };
}

/** Why a TLS Secret cannot be served: missing, or not holding `tls.crt` and `tls.key`. */
export function secretProblem(
  namespace: string,
  name: string,
  objects: ClusterObjects,
): ReferenceProblem | undefined {
  const secret = objects.secret(namespace, name);
  if (!secret)
    return {
      reason: 'SecretNotFound',
      message: `TLS Secret ${namespace}/${name} not found; its hosts get no HTTPS`,
    };
  const data = isRecord(secret['data']) ? secret['data'] : {};
  const missing = ['tls.crt', 'tls.key'].filter((k) => typeof data[k] !== 'string' || data[k] === '');
  if (missing.length === 0) return undefined;
  return {
    reason: 'InvalidSecret',
    message: `Secret ${namespace}/${name} lacks ${missing.join(' and ')}; its hosts get no HTTPS`,
  };
}

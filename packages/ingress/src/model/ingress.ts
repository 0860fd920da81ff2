import type { KubeObject, Result } from '@ciliary/core';
import {
  hostProblem,
  isPortName,
  isRecord,
  isServiceName,
  IssueCollector,
  listField,
  objectField,
  stringField,
  type Json,
} from './fields';
import { parseIngressOptions, type IngressOptions } from './options';

export type PathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export const PATH_TYPES: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

/** A Service port an Ingress sends traffic to. Ingress backends are always in the Ingress's namespace. */
export interface ServiceBackend {
  readonly namespace: string;
  readonly service: string;
  /** The Service port's number or name, as the Ingress gives it. */
  readonly port: number | string;
}

export interface IngressPath {
  readonly path: string;
  readonly pathType: PathType;
  readonly backend: ServiceBackend;
  /** JSON path of this entry in the Ingress, for problems and events. */
  readonly at: string;
}

export interface IngressRule {
  /** The host, possibly `*.domain`; undefined means every host. */
  readonly host: string | undefined;
  readonly paths: readonly IngressPath[];
}

export interface IngressTls {
  /** Hosts the certificate is for; empty means every host of the Ingress. */
  readonly hosts: readonly string[];
  readonly secretName: string | undefined;
  readonly at: string;
}

/** A validated `networking.k8s.io/v1` Ingress. */
export interface Ingress {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string | undefined;
  /** Where it came from, e.g. `ingress.yaml:2` or `Ingress default/web`. */
  readonly document: string;
  readonly defaultBackend: ServiceBackend | undefined;
  readonly rules: readonly IngressRule[];
  readonly tls: readonly IngressTls[];
  readonly options: IngressOptions;
}

export const INGRESS_API_VERSION = 'networking.k8s.io/v1';

/** `Ingress NAMESPACE/NAME`, the default document name. */
export function describeIngress(object: KubeObject): string {
  return `Ingress ${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? '(unnamed)'}`;
}

/**
 * Validates an Ingress as the API server and Envoy would, collecting every
 * problem with its JSON path: hosts, paths per path type, backends (Service
 * name and exactly one of port number or name), TLS entries and annotations.
 */
export function parseIngress(object: KubeObject, document = describeIngress(object)): Result<Ingress> {
  const issues = new IssueCollector(document);
  if (object.apiVersion !== INGRESS_API_VERSION) issues.add('/apiVersion', `must be ${INGRESS_API_VERSION}`);
  if (object.kind !== 'Ingress') issues.add('/kind', 'must be Ingress');
  const name = object.metadata.name ?? '';
  if (name === '') issues.add('/metadata/name', 'is required');
  const namespace = object.metadata.namespace ?? 'default';
  const options = parseIngressOptions(object.metadata.annotations ?? {}, issues);
  const spec = isRecord(object['spec']) ? object['spec'] : undefined;
  if (!spec) {
    issues.add('/spec', 'must be an object');
    return { ok: false, issues: issues.issues };
  }
  const backendAt = objectField(spec, 'defaultBackend', '/spec', issues);
  const defaultBackend = backendAt
    ? parseBackend(backendAt, '/spec/defaultBackend', namespace, issues)
    : undefined;
  const rules = listField(spec, 'rules', '/spec', issues).flatMap((rule, i) =>
    parseRule(rule, `/spec/rules/${i}`, namespace, issues),
  );
  const tls = listField(spec, 'tls', '/spec', issues).flatMap((entry, i) =>
    parseTls(entry, `/spec/tls/${i}`, issues),
  );
  if (!backendAt && rules.length === 0)
    issues.add('/spec', 'needs rules or a defaultBackend, or it routes nothing');
  if (issues.issues.length > 0) return { ok: false, issues: issues.issues };
  return {
    ok: true,
    value: {
      namespace,
      name,
      uid: object.metadata.uid,
      document,
      defaultBackend,
      rules,
      tls,
      options,
    },
  };
}

function parseRule(value: unknown, at: string, namespace: string, issues: IssueCollector): IngressRule[] {
  if (!isRecord(value)) {
    issues.add(at, 'must be an object');
    return [];
  }
  const host = stringField(value, 'host', at, issues);
  if (host !== undefined) {
    const problem = hostProblem(host);
    if (problem) issues.add(`${at}/host`, problem);
  }
  const http = objectField(value, 'http', at, issues);
  if (!http) return [{ host, paths: [] }];
  const paths = listField(http, 'paths', `${at}/http`, issues);
  if (paths.length === 0) issues.add(`${at}/http/paths`, 'must list at least one path');
  return [
    {
      host,
      paths: paths.flatMap((p, i) => parsePath(p, `${at}/http/paths/${i}`, namespace, issues)),
    },
  ];
}

function parsePath(value: unknown, at: string, namespace: string, issues: IssueCollector): IngressPath[] {
  if (!isRecord(value)) {
    issues.add(at, 'must be an object');
    return [];
  }
  const pathType = stringField(value, 'pathType', at, issues);
  if (pathType === undefined)
    issues.add(`${at}/pathType`, 'is required (Exact, Prefix or ImplementationSpecific)');
  else if (!PATH_TYPES.includes(pathType as PathType))
    issues.add(`${at}/pathType`, `"${pathType}" is not Exact, Prefix or ImplementationSpecific`);
  const given = stringField(value, 'path', at, issues);
  const path = given ?? (pathType === 'ImplementationSpecific' ? '/' : '');
  const problem = pathProblem(path);
  if (problem) issues.add(`${at}/path`, problem);
  const backendValue = objectField(value, 'backend', at, issues);
  if (!backendValue) issues.add(`${at}/backend`, 'is required');
  const backend = backendValue ? parseBackend(backendValue, `${at}/backend`, namespace, issues) : undefined;
  if (!backend || problem || !PATH_TYPES.includes(pathType as PathType)) return [];
  return [{ path, pathType: pathType as PathType, backend, at }];
}

/**
 * What the API server requires of a path (absolute, no `//`, `/./`, `/../`,
 * encoded slashes, trailing `/.` or `/..`), plus what no request path can
 * match: a query or a fragment.
 */
export function pathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `"${path}" must be an absolute path (start with '/')`;
  for (const bad of ['//', '/./', '/../', '%2f', '%2F'])
    if (path.includes(bad)) return `"${path}" must not contain '${bad}'`;
  if (path.endsWith('/..') || path.endsWith('/.')) return `"${path}" must not end with '/.' or '/..'`;
  if (path.includes('?') || path.includes('#'))
    return `"${path}" contains '?' or '#', which no request path (without its query) can match`;
  if (/\s/.test(path)) return `"${path}" must not contain white space`;
  return undefined;
}

function parseBackend(
  value: Json,
  at: string,
  namespace: string,
  issues: IssueCollector,
): ServiceBackend | undefined {
  if (value['resource'] !== undefined) {
    issues.add(`${at}/resource`, 'resource backends are not supported; use a Service backend');
    return undefined;
  }
  const service = objectField(value, 'service', at, issues);
  if (!service) {
    issues.add(`${at}/service`, 'is required');
    return undefined;
  }
  const name = stringField(service, 'name', `${at}/service`, issues);
  if (name === undefined) issues.add(`${at}/service/name`, 'is required');
  else if (!isServiceName(name)) issues.add(`${at}/service/name`, `"${name}" is not a valid Service name`);
  const port = parsePort(objectField(service, 'port', `${at}/service`, issues), `${at}/service/port`, issues);
  if (name === undefined || port === undefined || !isServiceName(name)) return undefined;
  return { namespace, service: name, port };
}

function parsePort(port: Json | undefined, at: string, issues: IssueCollector): number | string | undefined {
  if (!port) {
    issues.add(at, 'is required (a number or a name)');
    return undefined;
  }
  const number = port['number'];
  const name = stringField(port, 'name', at, issues);
  const hasNumber = number !== undefined && number !== null && number !== 0;
  if (hasNumber && name !== undefined) {
    issues.add(at, 'must give either a number or a name, not both');
    return undefined;
  }
  if (hasNumber) {
    if (typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= 65535)
      return number;
    issues.add(`${at}/number`, `must be a port number between 1 and 65535, not ${JSON.stringify(number)}`);
    return undefined;
  }
  if (name === undefined) {
    issues.add(at, 'needs a number or a name');
    return undefined;
  }
  if (!isPortName(name)) {
    issues.add(`${at}/name`, `"${name}" is not a valid port name`);
    return undefined;
  }
  return name;
}

function parseTls(value: unknown, at: string, issues: IssueCollector): IngressTls[] {
  if (!isRecord(value)) {
    issues.add(at, 'must be an object');
    return [];
  }
  const hosts = listField(value, 'hosts', at, issues).flatMap((host, i) => {
    if (typeof host !== 'string' || host === '') {
      issues.add(`${at}/hosts/${i}`, 'must be a host name');
      return [];
    }
    const problem = hostProblem(host);
    if (problem) issues.add(`${at}/hosts/${i}`, problem);
    return problem ? [] : [host];
  });
  return [{ hosts, secretName: stringField(value, 'secretName', at, issues), at }];
}

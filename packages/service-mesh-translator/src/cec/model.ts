import type { Issue, KubeObject, Result } from '@ciliary/core';
import { TypeUrls } from '../envoy/type-urls';
import { isRecord } from '../util';

/** `spec.services[]`: a Service whose traffic the datapath redirects to one of the CEC's listeners. */
export interface ServiceListener {
  readonly name: string;
  readonly namespace: string;
  /** The listener (as named in the CEC); empty means the CEC's first listener. */
  readonly listener: string;
}

/** `spec.backendServices[]`: a Service whose endpoints are synced to Envoy over EDS. */
export interface BackendService {
  readonly name: string;
  readonly namespace: string;
  /** Ports (numbers or names, as strings) to sync; empty means every port. JSON field `number`. */
  readonly ports: readonly string[];
}

/** One entry of `spec.resources[]`: an Envoy resource in proto3 JSON with its type URL. */
export interface EnvoyResourceSpec {
  readonly typeUrl: string;
  /** The resource without its `@type`. */
  readonly json: Record<string, unknown>;
}

/** A validated CiliumEnvoyConfig or CiliumClusterwideEnvoyConfig. */
export interface EnvoyConfig {
  readonly kind: 'CiliumEnvoyConfig' | 'CiliumClusterwideEnvoyConfig';
  readonly name: string;
  /** The CEC's namespace; '' for the cluster-wide kind. */
  readonly namespace: string;
  /** Where it came from, for issues: a manifest origin or `Kind NAMESPACE/NAME`. */
  readonly document: string;
  readonly services: readonly ServiceListener[];
  readonly backendServices: readonly BackendService[];
  readonly resources: readonly EnvoyResourceSpec[];
}

/** The resource types a CEC may carry; anything else is "Unsupported type", as in Cilium. */
export const CEC_RESOURCE_TYPES: readonly string[] = [
  TypeUrls.listener,
  TypeUrls.routeConfiguration,
  TypeUrls.cluster,
  TypeUrls.clusterLoadAssignment,
  TypeUrls.secret,
];

const API_VERSION = 'cilium.io/v2';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Cluster-wide configs default both frontend and backend namespaces to this. */
export const CLUSTERWIDE_DEFAULT_NAMESPACE = 'default';

export function describeObject(object: KubeObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind} ${ns ? `${ns}/` : ''}${object.metadata.name ?? '(unnamed)'}`;
}

/**
 * Validates a CiliumEnvoyConfig or CiliumClusterwideEnvoyConfig and applies
 * Cilium's namespace rules: a CEC's frontend services always live in its own
 * namespace and its backend services default to it; a CCEC defaults both to
 * `default`. Every problem is reported with the document and JSON path.
 */
export function parseEnvoyConfig(object: KubeObject, document = describeObject(object)): Result<EnvoyConfig> {
  const issues: Issue[] = [];
  const problem = (path: string, message: string): void => void issues.push({ document, path, message });
  const kind = object.kind;
  if (kind !== 'CiliumEnvoyConfig' && kind !== 'CiliumClusterwideEnvoyConfig')
    problem('/kind', `must be CiliumEnvoyConfig or CiliumClusterwideEnvoyConfig, not ${kind}`);
  if (object.apiVersion !== API_VERSION) problem('/apiVersion', `must be ${API_VERSION}`);
  const name = object.metadata.name ?? '';
  if (name === '') problem('/metadata/name', 'is required');
  const clusterwide = kind === 'CiliumClusterwideEnvoyConfig';
  const namespace = clusterwide ? '' : (object.metadata.namespace ?? 'default');
  const spec = object['spec'];
  if (!isRecord(spec)) {
    problem('/spec', 'must be an object');
    return { ok: false, issues };
  }
  for (const key of Object.keys(spec))
    if (!['services', 'backendServices', 'resources'].includes(key)) problem(`/spec/${key}`, 'unknown field');
  const frontendNamespace = (given: string | undefined): string =>
    clusterwide ? (given ?? CLUSTERWIDE_DEFAULT_NAMESPACE) : namespace;
  const backendNamespace = (given: string | undefined): string =>
    given ?? (clusterwide ? CLUSTERWIDE_DEFAULT_NAMESPACE : namespace);
  const services = parseList(spec['services'], '/spec/services', problem, (item, path) => {
    const fields = readFields(item, path, problem, {
      name: 'required',
      namespace: 'optional',
      listener: 'optional',
    });
    if (!fields) return undefined;
    return {
      name: fields.name!,
      namespace: frontendNamespace(fields.namespace),
      listener: fields.listener ?? '',
    };
  });
  const backendServices = parseList(spec['backendServices'], '/spec/backendServices', problem, (item, path) =>
    parseBackendService(item, path, problem, backendNamespace),
  );
  const resources = parseList(spec['resources'], '/spec/resources', problem, (item, path) =>
    parseResource(item, path, problem),
  );
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: {
      kind: kind as EnvoyConfig['kind'],
      name,
      namespace,
      document,
      services,
      backendServices,
      resources,
    },
  };
}

type Problem = (path: string, message: string) => void;

function parseList<T>(
  value: unknown,
  path: string,
  problem: Problem,
  parse: (item: unknown, path: string) => T | undefined,
): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem(path, 'must be a list');
    return [];
  }
  return value.flatMap((item, i) => {
    const parsed = parse(item, `${path}/${i}`);
    return parsed === undefined ? [] : [parsed];
  });
}

function readFields(
  item: unknown,
  path: string,
  problem: Problem,
  shape: Record<string, 'required' | 'optional'>,
): Record<string, string | undefined> | undefined {
  if (!isRecord(item)) {
    problem(path, 'must be an object');
    return undefined;
  }
  const out: Record<string, string | undefined> = {};
  for (const key of Object.keys(item)) if (!(key in shape)) problem(`${path}/${key}`, 'unknown field');
  for (const [key, presence] of Object.entries(shape)) {
    const value = item[key];
    if (value === undefined || value === null || value === '') {
      if (presence === 'required') problem(`${path}/${key}`, 'is required');
      continue;
    }
    if (typeof value !== 'string') problem(`${path}/${key}`, 'must be a string');
    else if ((key === 'name' || key === 'namespace') && !DNS_LABEL.test(value))
      problem(
        `${path}/${key}`,
        `"${value}" is not a valid ${key} (a DNS label: lower-case letters, digits, '-')`,
      );
    else out[key] = value;
  }
  return out;
}

function parseBackendService(
  item: unknown,
  path: string,
  problem: Problem,
  backendNamespace: (given: string | undefined) => string,
): BackendService | undefined {
  const { number, ...rest } = isRecord(item) ? item : {};
  const fields = readFields(isRecord(item) ? rest : item, path, problem, {
    name: 'required',
    namespace: 'optional',
  });
  const ports = parseList(number, `${path}/number`, problem, (port, portPath) => {
    if (typeof port === 'string' && port !== '') return port;
    problem(
      portPath,
      typeof port === 'number' ? 'must be a string (quote port numbers)' : 'must be a port number or name',
    );
    return undefined;
  });
  if (!fields?.name) return undefined;
  return { name: fields.name, namespace: backendNamespace(fields.namespace), ports };
}

function parseResource(item: unknown, path: string, problem: Problem): EnvoyResourceSpec | undefined {
  if (!isRecord(item)) {
    problem(path, 'must be an object with @type');
    return undefined;
  }
  const typeUrl = item['@type'];
  if (typeof typeUrl !== 'string' || typeUrl === '') {
    problem(`${path}/@type`, 'is required');
    return undefined;
  }
  if (!CEC_RESOURCE_TYPES.includes(typeUrl)) {
    problem(
      `${path}/@type`,
      `Unsupported type: ${typeUrl} (a CEC carries Listener, RouteConfiguration, Cluster, ClusterLoadAssignment or Secret)`,
    );
    return undefined;
  }
  const { ['@type']: _type, ...json } = item;
  return { typeUrl, json };
}

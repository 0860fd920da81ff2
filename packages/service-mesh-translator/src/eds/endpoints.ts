import type { KubeObject } from '@ciliary/core';
import { byCodePoint, isRecord } from '../util';

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  /** The pod port it forwards to, by number or container port name; defaults to `port`. */
  readonly targetPort?: number | string;
  readonly appProtocol?: string;
}

/** The part of a Service the mesh needs. */
export interface MeshService {
  readonly namespace: string;
  readonly name: string;
  readonly ports: readonly ServicePort[];
  /** Headless and ExternalName services get no proxyless listener. */
  readonly routable: boolean;
  /** `spec.clusterIPs` (or `spec.clusterIP`): the frontend sidecars match outbound traffic on. */
  readonly clusterIPs: readonly string[];
  /** `spec.selector`: the pods behind it; undefined for a Service without selector. */
  readonly selector?: Readonly<Record<string, string>>;
}

export interface Backend {
  readonly address: string;
  readonly port: number;
}

/** Services and their ready endpoints (from EndpointSlices), indexed for EDS. */
export class ServiceDirectory {
  private readonly services = new Map<string, MeshService>();
  /** `NAMESPACE/SERVICE` -> slice port name -> backends. */
  private readonly backends = new Map<string, Map<string, Backend[]>>();

  constructor(services: readonly KubeObject[], endpointSlices: readonly KubeObject[]) {
    for (const object of services) {
      const service = readService(object);
      if (service) this.services.set(`${service.namespace}/${service.name}`, service);
    }
    for (const slice of endpointSlices) this.addSlice(slice);
  }

  service(namespace: string, name: string): MeshService | undefined {
    return this.services.get(`${namespace}/${name}`);
  }

  /** Every service, sorted by namespace and name. */
  all(): MeshService[] {
    return [...this.services.values()].sort((a, b) =>
      byCodePoint(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`),
    );
  }

  /** Ready TCP backends of one service port, sorted and de-duplicated. */
  backendsOf(namespace: string, name: string, port: ServicePort): Backend[] {
    return this.backends.get(`${namespace}/${name}`)?.get(port.name) ?? [];
  }

  private addSlice(slice: KubeObject): void {
    const serviceName = slice.metadata.labels?.['kubernetes.io/service-name'];
    const namespace = slice.metadata.namespace ?? 'default';
    if (!serviceName) return;
    const ports = Array.isArray(slice['ports']) ? slice['ports'].filter(isRecord) : [];
    const endpoints = Array.isArray(slice['endpoints']) ? slice['endpoints'].filter(isRecord) : [];
    const ready = endpoints.filter((e) => !isRecord(e['conditions']) || e['conditions']['ready'] !== false);
    const addresses = ready.flatMap((e) => (Array.isArray(e['addresses']) ? e['addresses'].map(String) : []));
    const key = `${namespace}/${serviceName}`;
    let byPort = this.backends.get(key);
    if (!byPort) this.backends.set(key, (byPort = new Map()));
    for (const port of ports) {
      if ((port['protocol'] ?? 'TCP') !== 'TCP' || typeof port['port'] !== 'number') continue;
      const portName = typeof port['name'] === 'string' ? port['name'] : '';
      const merged = new Map((byPort.get(portName) ?? []).map((b) => [`${b.address}:${b.port}`, b]));
      for (const address of addresses)
        merged.set(`${address}:${port['port']}`, { address, port: port['port'] });
      byPort.set(portName, [...merged.values()].sort(compareBackends));
    }
  }
}

function compareBackends(a: Backend, b: Backend): number {
  return byCodePoint(a.address, b.address) || a.port - b.port;
}

function readService(object: KubeObject): MeshService | undefined {
  const spec = isRecord(object['spec']) ? object['spec'] : {};
  const name = object.metadata.name;
  if (!name) return undefined;
  const ports = (Array.isArray(spec['ports']) ? spec['ports'].filter(isRecord) : []).flatMap(readPort);
  const routable = spec['type'] !== 'ExternalName' && spec['clusterIP'] !== 'None';
  const clusterIPs = (
    Array.isArray(spec['clusterIPs'])
      ? spec['clusterIPs'].map(String)
      : typeof spec['clusterIP'] === 'string'
        ? [spec['clusterIP']]
        : []
  ).filter((ip) => ip !== '' && ip !== 'None');
  const selector = isRecord(spec['selector'])
    ? Object.fromEntries(Object.entries(spec['selector']).map(([k, v]) => [k, String(v)]))
    : undefined;
  return {
    namespace: object.metadata.namespace ?? 'default',
    name,
    ports,
    routable,
    clusterIPs,
    ...(selector && Object.keys(selector).length > 0 ? { selector } : {}),
  };
}

function readPort(p: Record<string, unknown>): ServicePort[] {
  if (typeof p['port'] !== 'number') return [];
  const targetPort = p['targetPort'];
  return [
    {
      name: typeof p['name'] === 'string' ? p['name'] : '',
      port: p['port'],
      protocol: String(p['protocol'] ?? 'TCP'),
      ...(typeof targetPort === 'number' || (typeof targetPort === 'string' && targetPort !== '')
        ? { targetPort }
        : {}),
      ...(typeof p['appProtocol'] === 'string' ? { appProtocol: p['appProtocol'] } : {}),
    },
  ];
}

/** The EDS name of one service port, as Cilium names it: `NAMESPACE/SERVICE:PORT`. */
export function assignmentName(namespace: string, service: string, port?: number | string): string {
  return port === undefined ? `${namespace}/${service}` : `${namespace}/${service}:${port}`;
}

/** A ClusterLoadAssignment in proto3 JSON: one locality holding every backend. */
export function clusterLoadAssignment(
  clusterName: string,
  backends: readonly Backend[],
): Record<string, unknown> {
  if (backends.length === 0) return { clusterName };
  return {
    clusterName,
    endpoints: [
      {
        // gRPC's xDS client rejects a locality group without a locality.
        locality: {},
        lbEndpoints: backends.map((b) => ({
          endpoint: { address: { socketAddress: { address: b.address, portValue: b.port } } },
        })),
        // gRPC's xDS client ignores a locality without a weight.
        loadBalancingWeight: 1,
      },
    ],
  };
}

/**
 * The assignments a `backendServices` entry asks for: one per selected TCP
 * port, named by the port number (or by the name, when selected by name), and
 * `NAMESPACE/SERVICE` with every port's backends when no port is selected.
 * A missing Service yields empty assignments, so clusters naming them stay valid.
 */
export function backendServiceAssignments(
  directory: ServiceDirectory,
  namespace: string,
  name: string,
  selectedPorts: readonly string[],
): Array<{ name: string; json: Record<string, unknown> }> {
  const service = directory.service(namespace, name);
  const tcpPorts = (service?.ports ?? []).filter((p) => p.protocol === 'TCP');
  const out: Array<{ name: string; json: Record<string, unknown> }> = [];
  const add = (claName: string, backends: Backend[]): void =>
    void out.push({ name: claName, json: clusterLoadAssignment(claName, backends) });
  if (selectedPorts.length === 0) {
    for (const port of tcpPorts)
      add(assignmentName(namespace, name, port.port), directory.backendsOf(namespace, name, port));
    const all = tcpPorts.flatMap((port) => directory.backendsOf(namespace, name, port));
    add(assignmentName(namespace, name), dedupe(all));
    return out;
  }
  for (const selected of selectedPorts) {
    const port = tcpPorts.find((p) => String(p.port) === selected || (p.name !== '' && p.name === selected));
    add(assignmentName(namespace, name, selected), port ? directory.backendsOf(namespace, name, port) : []);
  }
  return out;
}

function dedupe(backends: Backend[]): Backend[] {
  return [...new Map(backends.map((b) => [`${b.address}:${b.port}`, b])).values()].sort(compareBackends);
}

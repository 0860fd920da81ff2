import type { KubeObject } from '@ciliary/core';
import type { MeshService, ServicePort } from '../eds/endpoints';
import { byCodePoint, isRecord } from '../util';

export interface ContainerPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}

/** The part of a Pod a sidecar's configuration depends on. */
export interface MeshPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly containerPorts: readonly ContainerPort[];
}

/**
 * Reads the Pods that run a sidecar Envoy. Host-network pods are left out:
 * they share the node's network namespace, so traffic cannot be steered
 * through a proxy of their own.
 */
export function readMeshPods(objects: readonly KubeObject[]): MeshPod[] {
  return objects
    .flatMap((object) => {
      const spec = isRecord(object['spec']) ? object['spec'] : {};
      const name = object.metadata.name;
      if (!name || spec['hostNetwork'] === true) return [];
      const containers = Array.isArray(spec['containers']) ? spec['containers'].filter(isRecord) : [];
      const containerPorts = containers.flatMap((c) =>
        (Array.isArray(c['ports']) ? c['ports'].filter(isRecord) : []).flatMap((p) =>
          typeof p['containerPort'] === 'number'
            ? [
                {
                  name: typeof p['name'] === 'string' ? p['name'] : '',
                  port: p['containerPort'],
                  protocol: String(p['protocol'] ?? 'TCP'),
                },
              ]
            : [],
        ),
      );
      return [
        {
          namespace: object.metadata.namespace ?? 'default',
          name,
          labels: { ...(object.metadata.labels ?? {}) },
          containerPorts,
        },
      ];
    })
    .sort((a, b) => byCodePoint(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}

/** Whether a Service's selector picks the pod (a Service without selector picks none). */
export function selects(service: MeshService, pod: MeshPod): boolean {
  if (service.namespace !== pod.namespace || !service.selector) return false;
  return Object.entries(service.selector).every(([key, value]) => pod.labels[key] === value);
}

/**
 * The pod port a Service port forwards to: `targetPort` by number, or by the
 * name of a container port, or the Service port itself. Undefined when a named
 * target port is not declared by the pod (Kubernetes sends it nowhere either).
 */
export function targetPortOf(port: ServicePort, pod: MeshPod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  return pod.containerPorts.find((c) => c.name === target && c.protocol === port.protocol)?.port;
}

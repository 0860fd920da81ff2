import type { Issue, KubeObject } from '@ciliary/core';
import { LabelFilter } from '@ciliary/policy-model';
import { endpointFromPod, nodeFromKubeNode, type EgressEndpoint, type EgressNode } from './cluster';
import type { EgressState } from './entries';
import { endpointFromExternalWorkload } from './external-workload';
import type { HostInterfaces } from './host';
import { parseEgressPolicy, type EgressPolicy } from './policy';

/** The kinds the egress gateway reads. */
export const EGRESS_INPUT_KINDS = [
  'Node',
  'Namespace',
  'Pod',
  'CiliumEgressGatewayPolicy',
  'CiliumEgressNATPolicy',
  'CiliumExternalWorkload',
] as const;

interface PodRecord {
  readonly pod: KubeObject;
  /** The Namespace object the endpoint was computed with, to notice namespace relabels. */
  namespace: KubeObject | undefined;
  endpoint: EgressEndpoint | undefined;
}

export interface ClusterStateOptions {
  readonly clusterName?: string;
  readonly labelFilter?: LabelFilter;
}

/**
 * The cluster as the egress gateway sees it, fed object by object (from a
 * resource source or from manifests). Invalid policies are rejected with their
 * issues and a previous valid version stays in force, as Cilium keeps the last
 * parsed config. `state()` gives the plain data `computeEgressEntries` reads.
 */
export class EgressClusterState {
  private readonly nodes = new Map<string, EgressNode>();
  private readonly namespaces = new Map<string, KubeObject>();
  private readonly pods = new Map<string, PodRecord>();
  private readonly externals = new Map<string, EgressEndpoint>();
  private readonly policies = new Map<string, EgressPolicy>();
  private readonly rejected = new Map<string, readonly Issue[]>();
  private readonly clusterName: string;
  private readonly labelFilter: LabelFilter;
  /** Bumped on every change, so callers can skip recomputing an unchanged state. */
  generation = 0;

  constructor(options: ClusterStateOptions = {}) {
    this.clusterName = options.clusterName ?? 'default';
    this.labelFilter = options.labelFilter ?? new LabelFilter();
  }

  /** Adds or replaces an object; returns the issues of an invalid policy (empty otherwise). */
  upsert(object: KubeObject, origin?: string): readonly Issue[] {
    const name = object.metadata.name ?? '';
    switch (object.kind) {
      case 'Node':
        this.nodes.set(name, nodeFromKubeNode(object));
        break;
      case 'Namespace':
        this.namespaces.set(name, object);
        break;
      case 'Pod':
        this.pods.set(podKey(object), { pod: object, namespace: undefined, endpoint: undefined });
        this.refreshPod(podKey(object));
        break;
      case 'CiliumEgressGatewayPolicy':
      case 'CiliumEgressNATPolicy': {
        const result = parseEgressPolicy(object, origin);
        const id = `${object.kind}/${name}`;
        this.generation++;
        if (!result.ok) {
          this.rejected.set(id, result.issues);
          return result.issues;
        }
        this.rejected.delete(id);
        this.policies.set(id, result.value);
        return [];
      }
      case 'CiliumExternalWorkload': {
        const endpoint = endpointFromExternalWorkload(object, this.clusterName);
        if (endpoint) this.externals.set(name, endpoint);
        else this.externals.delete(name);
        break;
      }
      default:
        return [];
    }
    this.generation++;
    return [];
  }

  delete(object: Pick<KubeObject, 'kind' | 'metadata'>): void {
    const name = object.metadata.name ?? '';
    switch (object.kind) {
      case 'Node':
        this.nodes.delete(name);
        break;
      case 'Namespace':
        this.namespaces.delete(name);
        break;
      case 'Pod':
        this.pods.delete(podKey(object));
        break;
      case 'CiliumEgressGatewayPolicy':
      case 'CiliumEgressNATPolicy':
        this.policies.delete(`${object.kind}/${name}`);
        this.rejected.delete(`${object.kind}/${name}`);
        break;
      case 'CiliumExternalWorkload':
        this.externals.delete(name);
        break;
      default:
        return;
    }
    this.generation++;
  }

  /** Policies rejected by validation, by id, with their issues. */
  rejectedPolicies(): ReadonlyMap<string, readonly Issue[]> {
    return this.rejected;
  }

  /** The inputs of `computeEgressEntries` for one node. */
  state(localNode: string, host?: HostInterfaces, unhealthyNodes?: ReadonlySet<string>): EgressState {
    return {
      policies: [...this.policies.values()],
      endpoints: this.endpoints(),
      nodes: [...this.nodes.values()],
      localNode,
      ...(host ? { host } : {}),
      ...(unhealthyNodes ? { unhealthyNodes } : {}),
    };
  }

  endpoints(): EgressEndpoint[] {
    const out: EgressEndpoint[] = [];
    for (const [key, record] of this.pods) {
      const namespace = this.namespaces.get(record.pod.metadata.namespace ?? 'default');
      if (namespace !== record.namespace) this.refreshPod(key);
      if (record.endpoint) out.push(record.endpoint);
    }
    out.push(...this.externals.values());
    return out;
  }

  private refreshPod(key: string): void {
    const record = this.pods.get(key);
    if (!record) return;
    record.namespace = this.namespaces.get(record.pod.metadata.namespace ?? 'default');
    record.endpoint = endpointFromPod(record.pod, record.namespace, {
      clusterName: this.clusterName,
      labelFilter: this.labelFilter,
    });
  }
}

function podKey(object: Pick<KubeObject, 'metadata'>): string {
  return `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`;
}

import { isIPv6 } from 'node:net';
import { CiliaryError, type KubeObject } from '@ciliary/core';
import type { IpcacheEntry } from '@ciliary/ebpf-maps';
import {
  label,
  LabelKey,
  LabelSet,
  LabelSource,
  type Identity,
  type IdentityAllocator,
} from '@ciliary/policy-model';
import type { CiliumExternalWorkload } from './api-types';
import type { EgressEndpoint } from './cluster';
import { ipv4ToNumber, parseIpv4Cidr } from './ipv4';

const POD_NAME_LABEL = 'io.kubernetes.pod.name';

/**
 * The identity labels of an external workload, as the clustermesh-apiserver
 * gives them (`nodeOverrideFromCEW`): the CiliumExternalWorkload's labels,
 * `io.kubernetes.pod.namespace` defaulting to `default`,
 * `io.kubernetes.pod.name` defaulting to the workload's name, and the cluster
 * name; all of source `k8s` and unfiltered. There are no namespace labels, so
 * only an empty namespaceSelector (or a podSelector) can select a VM.
 */
export function externalWorkloadLabels(cew: KubeObject, clusterName = 'default'): LabelSet {
  const labels: Record<string, string> = { ...cew.metadata.labels };
  if (!labels[LabelKey.podNamespace]) labels[LabelKey.podNamespace] = 'default';
  if (!labels[POD_NAME_LABEL]) labels[POD_NAME_LABEL] = cew.metadata.name ?? '';
  labels[LabelKey.cluster] = clusterName;
  return new LabelSet(Object.entries(labels).map(([k, v]) => label(LabelSource.k8s, k, v)));
}

/** A registered VM (its `status.ip` is set) as an egress source; undefined before it registered. */
export function endpointFromExternalWorkload(
  cew: KubeObject,
  clusterName = 'default',
): EgressEndpoint | undefined {
  const ip = (cew as CiliumExternalWorkload).status?.ip;
  if (ip === undefined || ipv4ToNumber(ip) === undefined) return undefined;
  return {
    id: `CiliumExternalWorkload/${cew.metadata.name ?? ''}`,
    ips: [ip],
    labels: externalWorkloadLabels(cew, clusterName),
  };
}

/** What the VM reports when it registers: its addresses (the first IPv4 one is its node IP). */
export interface VmRegistration {
  readonly ipAddresses: readonly string[];
}

/** What registering a VM produces in the cluster: identity, endpoint, ipcache entries and the CEW status. */
export interface ExternalWorkloadRegistration {
  readonly identity: Identity;
  /** The CiliumEndpoint the clustermesh-apiserver writes for the VM, in its namespace, named as the VM. */
  readonly ciliumEndpoint: KubeObject;
  /** One /32 (or /128) per address, pointing at the VM's node IP as tunnel endpoint. */
  readonly ipcache: readonly IpcacheEntry[];
  readonly status: { readonly id: number; readonly ip: string };
  readonly endpoint: EgressEndpoint;
}

/** A CiliumExternalWorkload that cannot be registered, with the reason. */
export class ExternalWorkloadError extends CiliaryError {
  override readonly name = 'ExternalWorkloadError';
  constructor(
    readonly workload: string,
    message: string,
  ) {
    super(`CiliumExternalWorkload ${workload}: ${message}`);
  }
}

/**
 * Registers a VM as the clustermesh-apiserver does (phase 2 of
 * `VMManager.OnUpdate`): allocates (or reuses) the identity of its labels,
 * describes its CiliumEndpoint and ipcache entries, and the status
 * (`id`, `ip`) written back to the CiliumExternalWorkload. Pure apart from the
 * allocator handed in.
 */
export function registerExternalWorkload(
  cew: KubeObject,
  registration: VmRegistration,
  allocator: IdentityAllocator,
  clusterName = 'default',
): ExternalWorkloadRegistration {
  const name = cew.metadata.name ?? '';
  const problems = checkExternalWorkload(cew);
  if (problems.length > 0) throw new ExternalWorkloadError(name, problems.join('; '));
  const nodeIP = registration.ipAddresses.find((a) => ipv4ToNumber(a) !== undefined);
  if (nodeIP === undefined)
    throw new ExternalWorkloadError(name, 'the VM registered without an IPv4 address');
  const labels = externalWorkloadLabels(cew, clusterName);
  const identity = allocator.lookupByLabels(labels) ?? allocator.allocate(labels).identity;
  const namespace = labels.get(LabelSource.k8s, LabelKey.podNamespace) ?? 'default';
  const addressing = registration.ipAddresses.map((a) =>
    ipv4ToNumber(a) !== undefined ? { ipv4: a } : { ipv6: a },
  );
  const ciliumEndpoint: KubeObject = {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEndpoint',
    metadata: { name, namespace, labels: { name } },
    status: {
      id: 1,
      identity: { id: identity.id, labels: identity.labels.toStrings() },
      networking: { addressing, 'node-ip': nodeIP },
      state: 'ready',
    },
  };
  const ipcache = registration.ipAddresses.map((a): IpcacheEntry => ({
    cidr: ipv4ToNumber(a) !== undefined ? `${a}/32` : `${a}/128`,
    identity: identity.id,
    tunnelEndpoint: nodeIP,
    encryptKey: 0,
  }));
  return {
    identity,
    ciliumEndpoint,
    ipcache,
    status: { id: identity.id, ip: nodeIP },
    endpoint: {
      id: `CiliumExternalWorkload/${name}`,
      ips: registration.ipAddresses.filter((a) => ipv4ToNumber(a) !== undefined),
      labels,
    },
  };
}

/** Problems with a CiliumExternalWorkload's spec: the alloc CIDRs must be of their family. */
export function checkExternalWorkload(cew: KubeObject): string[] {
  const spec = (cew as CiliumExternalWorkload).spec ?? {};
  const problems: string[] = [];
  const v4 = spec['ipv4-alloc-cidr'];
  if (v4 !== undefined && v4 !== '') {
    const parsed = parseIpv4Cidr(v4);
    if (typeof parsed === 'string') problems.push(`/spec/ipv4-alloc-cidr: ${parsed}`);
  }
  const v6 = spec['ipv6-alloc-cidr'];
  if (v6 !== undefined && v6 !== '' && !isIpv6Cidr(v6))
    problems.push(`/spec/ipv6-alloc-cidr: ${JSON.stringify(v6)} is not an IPv6 CIDR`);
  return problems;
}

function isIpv6Cidr(text: string): boolean {
  const [address = '', length, ...rest] = text.split('/');
  return (
    rest.length === 0 &&
    isIPv6(address) &&
    length !== undefined &&
    /^\d{1,3}$/.test(length) &&
    Number(length) <= 128
  );
}

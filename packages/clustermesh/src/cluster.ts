import type { Issue, Result } from '@ciliary/core';
import { failed, ok } from '@ciliary/core';

/** A cluster's place in the mesh: its name (used in kvstore keys) and its numeric ID. */
export interface ClusterInfo {
  readonly name: string;
  readonly id: number;
}

export const MIN_CLUSTER_ID = 1;
export const MAX_CLUSTER_ID = 255;
export const MAX_CLUSTER_NAME_LENGTH = 32;

/** The label every endpoint carries with its cluster's name, so policies can select by cluster. */
export const CLUSTER_NAME_LABEL = 'io.cilium.k8s.policy.cluster';

// Lower-case DNS label: the name becomes a path segment of every kvstore key and a label value.
const CLUSTER_NAME = /^([a-z0-9][-a-z0-9]*)?[a-z0-9]$/;

/** Problems with a cluster name; empty when it is valid. */
export function clusterNameIssues(name: string, path = '/name', document?: string): Issue[] {
  const at = (message: string): Issue =>
    document === undefined ? { path, message } : { document, path, message };
  if (name === '') return [at('cluster name must not be empty')];
  const issues: Issue[] = [];
  if (name.length > MAX_CLUSTER_NAME_LENGTH)
    issues.push(at(`cluster name "${name}" is longer than ${MAX_CLUSTER_NAME_LENGTH} characters`));
  if (!CLUSTER_NAME.test(name))
    issues.push(
      at(
        `cluster name "${name}" must consist of lower case alphanumeric characters and '-', and start and end with an alphanumeric character`,
      ),
    );
  return issues;
}

/** Problems with a cluster ID; ClusterMesh needs 1-255 (0 means "not part of a mesh"). */
export function clusterIdIssues(id: number, path = '/id', document?: string): Issue[] {
  if (Number.isInteger(id) && id >= MIN_CLUSTER_ID && id <= MAX_CLUSTER_ID) return [];
  const message = `cluster ID ${String(id)} is out of range: must be an integer from ${MIN_CLUSTER_ID} to ${MAX_CLUSTER_ID}`;
  return [document === undefined ? { path, message } : { document, path, message }];
}

/** Validates a cluster's name and ID together, collecting every problem. */
export function validateClusterInfo(
  info: { name: string; id: number },
  document?: string,
): Result<ClusterInfo> {
  const issues = [
    ...clusterNameIssues(info.name, '/name', document),
    ...clusterIdIssues(info.id, '/id', document),
  ];
  return issues.length > 0 ? failed(issues) : ok({ name: info.name, id: info.id });
}

/**
 * The numeric security identities a cluster may allocate: the cluster ID sits
 * in bits 16-23, so each cluster owns 65,536 identities and they never collide
 * across the mesh. Cluster 0 starts at 256, above the reserved identities.
 */
export interface IdentityRange {
  readonly min: number;
  readonly max: number;
}

export function identityRange(clusterId: number): IdentityRange {
  const min = clusterId === 0 ? 256 : clusterId * 65_536;
  return { min, max: (clusterId + 1) * 65_536 - 1 };
}

/** Identities below 256 are reserved (host, world, remote-node, ...) and valid in every cluster. */
export const MAX_RESERVED_IDENTITY = 255;

/** Whether a numeric identity may come from the given cluster. */
export function identityBelongsTo(identity: number, clusterId: number): boolean {
  if (identity >= 1 && identity <= MAX_RESERVED_IDENTITY) return true;
  const range = identityRange(clusterId);
  return identity >= range.min && identity <= range.max;
}

/** The cluster an identity was allocated by, from bits 16-23; undefined for reserved identities. */
export function clusterIdOfIdentity(identity: number): number | undefined {
  if (identity <= MAX_RESERVED_IDENTITY) return undefined;
  return (identity >>> 16) & 0xff;
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { yamlNestingProblem, type Issue } from '@ciliary/core';
import { clusterNameIssues } from './cluster';

/**
 * How to reach one remote cluster's etcd, as Cilium mounts it: a file named
 * after the cluster holding an etcd client configuration (`endpoints`, and
 * `trusted-ca-file`, `cert-file`, `key-file` for TLS).
 */
export interface RemoteClusterConfig {
  readonly name: string;
  readonly endpoints: readonly string[];
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
  /** The file it came from. */
  readonly path: string;
}

export interface MeshConfig {
  readonly clusters: readonly RemoteClusterConfig[];
  readonly issues: readonly Issue[];
  /**
   * Files present that gave no configuration (unreadable, half-written, invalid): their clusters are
   * not known to be gone, so a caller keeps their last good configuration (`keepLastGood`).
   */
  readonly unreadable: readonly string[];
}

/**
 * The configuration with each unreadable cluster's last good configuration put back: a bad edit or
 * a half-written file must not disconnect a cluster that was working.
 */
export function keepLastGood(
  config: MeshConfig,
  previous: ReadonlyMap<string, RemoteClusterConfig>,
): MeshConfig {
  const clusters = [...config.clusters];
  const issues = [...config.issues];
  for (const name of config.unreadable) {
    const kept = previous.get(name);
    if (!kept || clusters.some((c) => c.name === name)) continue;
    clusters.push(kept);
    issues.push({ document: kept.path, path: '', message: 'keeping the last good configuration' });
  }
  return { ...config, clusters, issues };
}

/**
 * Reads a clustermesh configuration directory. Files starting with `.` (the
 * `..data` links of a mounted Secret) and files without `endpoints:` (the
 * certificates mounted beside the configs) are not cluster configs; the local
 * cluster's own file is ignored, as Cilium does. Every problem is reported
 * and the file skipped; a missing directory is an issue too.
 */
export async function loadMeshConfig(dir: string, localCluster: string): Promise<MeshConfig> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).sort();
  } catch (err) {
    const message =
      (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'directory does not exist' : String(err);
    return { clusters: [], issues: [{ document: dir, path: '', message }], unreadable: [] };
  }
  const clusters: RemoteClusterConfig[] = [];
  const issues: Issue[] = [];
  const unreadable: string[] = [];
  for (const name of names) {
    if (name.startsWith('.') || name === localCluster) continue;
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (!stat?.isFile()) continue;
    const text = await fs.readFile(file, 'utf8').catch(() => undefined);
    // Certificates and keys sit beside the cluster files; a cluster file being rewritten may be empty.
    if (text === undefined || !/^endpoints:/m.test(text)) {
      unreadable.push(name);
      continue;
    }
    const parsed = parseRemoteClusterConfig(name, text, file, dir);
    issues.push(...parsed.issues);
    if (parsed.config) clusters.push(parsed.config);
    else unreadable.push(name);
  }
  return { clusters, issues, unreadable };
}

/** Parses one cluster's etcd configuration; relative file paths are taken from `baseDir`. */
export function parseRemoteClusterConfig(
  name: string,
  text: string,
  file: string,
  baseDir: string,
): { config?: RemoteClusterConfig; issues: Issue[] } {
  const issues: Issue[] = [...clusterNameIssues(name, '', file)];
  let doc: unknown;
  const nesting = yamlNestingProblem(text);
  if (nesting) return { issues: [{ document: file, path: '', message: `invalid YAML: ${nesting}` }] };
  try {
    doc = parse(text);
  } catch (err) {
    return {
      issues: [
        { document: file, path: '', message: `invalid YAML: ${(err as Error).message.split('\n')[0]}` },
      ],
    };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    return { issues: [{ document: file, path: '', message: 'must be a mapping with an endpoints list' }] };
  const config = doc as Record<string, unknown>;
  const endpoints: string[] = [];
  const list = config['endpoints'];
  if (!Array.isArray(list) || list.length === 0)
    issues.push({ document: file, path: '/endpoints', message: 'must list at least one etcd endpoint' });
  else
    list.forEach((value, i) => {
      if (typeof value === 'string' && /^https?:\/\/[^/\s]+\/?$/.test(value))
        endpoints.push(value.replace(/\/$/, ''));
      else
        issues.push({
          document: file,
          path: `/endpoints/${i}`,
          message: `${JSON.stringify(value)} is not an http:// or https:// endpoint`,
        });
    });
  const files: Record<string, string> = {};
  for (const [field, key] of [
    ['trusted-ca-file', 'caFile'],
    ['cert-file', 'certFile'],
    ['key-file', 'keyFile'],
  ] as const) {
    const value = config[field];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value === 'string') files[key] = path.resolve(baseDir, value);
    else issues.push({ document: file, path: `/${field}`, message: 'must be a file path' });
  }
  if ((files['certFile'] === undefined) !== (files['keyFile'] === undefined))
    issues.push({ document: file, path: '', message: 'cert-file and key-file must be given together' });
  if (files['certFile'] !== undefined && files['caFile'] === undefined)
    issues.push({
      document: file,
      path: '/trusted-ca-file',
      message: 'client certificates need trusted-ca-file',
    });
  if (issues.length > 0) return { issues };
  return { config: { name, endpoints, ...files, path: file }, issues };
}

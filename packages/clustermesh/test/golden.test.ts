import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { parseAllDocuments, parse } from 'yaml';
import { formatIssue, type KubeObject } from '@ciliary/core';
import { buildExportState } from '../src/export-state';
import { decodeClusterService, type ClusterService } from '../src/formats/service';
import { parseServiceKey } from '../src/keys';
import { buildLocalServices, serviceId } from '../src/local-services';
import { mergeServices, toServiceListJson } from '../src/merge';

/**
 * Golden scenarios for the merge: each folder holds the local cluster's
 * manifests, each remote cluster as manifests (exported the way the exporter
 * does it) or as raw kvstore values, and the expected `ciliary service list
 * -o json`. UPDATE_GOLDEN=1 rewrites the expectations (review the diff).
 */
const root = path.join(__dirname, 'golden');

function objects(file: string): KubeObject[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null)
    .map((o) => ({ ...o, metadata: { namespace: 'default', ...o.metadata } }));
}

function byKind(list: KubeObject[], kind: string): KubeObject[] {
  return list.filter((o) => o.kind === kind);
}

function runCase(dir: string): { json: unknown; conflicts: string[] } {
  const config = parse(readFileSync(path.join(dir, 'case.yaml'), 'utf8')) as {
    local: { name: string; id: number };
  };
  const localObjects = objects(path.join(dir, 'local.yaml'));
  const local = buildLocalServices(byKind(localObjects, 'Service'), byKind(localObjects, 'EndpointSlice'));
  expect(local.issues.map(formatIssue)).toEqual([]);
  const remote = new Map<string, Map<string, ClusterService>>();
  const add = (cluster: string, key: string, value: string): void => {
    const parts = parseServiceKey(key);
    if (!parts || parts.cluster !== cluster) return;
    const decoded = decodeClusterService(value, key);
    if (!decoded.ok) throw new Error(decoded.issues.map(formatIssue).join('\n'));
    const services = remote.get(cluster) ?? new Map<string, ClusterService>();
    services.set(serviceId(parts.namespace, parts.name), decoded.value);
    remote.set(cluster, services);
  };
  const clustersDir = path.join(dir, 'clusters');
  if (existsSync(clustersDir))
    readdirSync(clustersDir)
      .sort()
      .forEach((file, i) => {
        const name = path.basename(file, '.yaml');
        const list = objects(path.join(clustersDir, file));
        const state = buildExportState(
          { name, id: config.local.id + 1 + i },
          {
            services: byKind(list, 'Service'),
            endpointSlices: byKind(list, 'EndpointSlice'),
            ciliumNodes: [],
            ciliumIdentities: [],
            ciliumEndpoints: [],
          },
        );
        for (const [key, { value }] of state.entries) add(name, key, value);
      });
  const kvDir = path.join(dir, 'kvstore');
  if (existsSync(kvDir))
    for (const file of readdirSync(kvDir).sort()) {
      const pairs = JSON.parse(readFileSync(path.join(kvDir, file), 'utf8')) as Array<{
        key: string;
        value: string;
      }>;
      for (const { key, value } of pairs) add(path.basename(file, '.json'), key, value);
    }
  const merged = mergeServices({ localCluster: config.local.name, local, remote });
  return { json: toServiceListJson(merged.services), conflicts: merged.conflicts.map(formatIssue) };
}

describe('golden merge scenarios', () => {
  for (const name of readdirSync(root).sort()) {
    test(name, () => {
      const dir = path.join(root, name);
      const result = runCase(dir);
      const expectedFile = path.join(dir, 'expected.json');
      const conflictsFile = path.join(dir, 'expected-conflicts.txt');
      if (process.env['UPDATE_GOLDEN'] === '1') {
        writeFileSync(expectedFile, `${JSON.stringify(result.json, null, 2)}\n`);
        if (result.conflicts.length > 0) writeFileSync(conflictsFile, `${result.conflicts.join('\n')}\n`);
      }
      expect(result.json).toEqual(JSON.parse(readFileSync(expectedFile, 'utf8')));
      const conflicts = existsSync(conflictsFile)
        ? readFileSync(conflictsFile, 'utf8').trim().split('\n')
        : [];
      expect(result.conflicts).toEqual(conflicts);
    });
  }
});

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { findKind, isKubeObject, type KubeObject, type ResourceKind } from '@ciliary/core';

/** One object read from a manifest file, with where it came from. */
export interface ManifestObject {
  readonly kind: ResourceKind;
  readonly object: KubeObject;
  /** `FILE:DOC` with a 1-based document index. */
  readonly origin: string;
}

export interface ManifestProblem {
  readonly origin: string;
  readonly message: string;
}

export interface ParsedManifests {
  readonly objects: ManifestObject[];
  readonly problems: ManifestProblem[];
  /** Documents of kinds nobody asked for, counted rather than reported. */
  readonly ignored: number;
}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

/**
 * Whether a change the directory watcher reports (a path relative to the directory, or none when the
 * platform does not say) can change what listManifestFiles reads: a manifest file, or an entry without
 * an extension (a folder). Logs and other files written beside manifests are not.
 */
export function mayHoldManifests(changed: string | null | undefined): boolean {
  if (!changed) return true;
  const parts = changed.split(path.sep);
  if (parts.some((p) => p.startsWith('.'))) return false;
  const ext = path.extname(parts.at(-1)!);
  return ext === '' || MANIFEST_EXTENSIONS.has(ext);
}

/** Lists manifest files under `dir`, recursively, in a stable order. Hidden entries are skipped. */
export async function listManifestFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(current: string): Promise<void> {
    const entries = await fs.readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (MANIFEST_EXTENSIONS.has(path.extname(entry.name))) found.push(full);
    }
  }
  await walk(dir);
  return found;
}

/**
 * Parses one file's text as multi-document YAML (JSON is YAML too). `List`
 * documents are expanded into their items. Namespaced objects without a
 * namespace land in `default`, as `kubectl apply` would put them.
 */
export function parseManifestText(
  fileLabel: string,
  text: string,
  kinds: readonly ResourceKind[],
): ParsedManifests {
  const objects: ManifestObject[] = [];
  const problems: ManifestProblem[] = [];
  let ignored = 0;
  const docs = parseAllDocuments(text);
  const docList = Array.isArray(docs) ? docs : [docs];
  docList.forEach((doc, index) => {
    const origin = `${fileLabel}:${index + 1}`;
    if (doc.errors.length > 0) {
      problems.push({
        origin,
        message: `invalid YAML: ${doc.errors[0]?.message.split('\n')[0] ?? 'parse error'}`,
      });
      return;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing '---'
    for (const item of expandList(value)) {
      const result = toManifestObject(item, origin, kinds);
      if (result === 'ignored') ignored++;
      else if ('message' in result) problems.push(result);
      else objects.push(result);
    }
  });
  return { objects, problems, ignored };
}

function expandList(value: unknown): unknown[] {
  if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items'])) return value['items'];
  return [value];
}

function toManifestObject(
  value: unknown,
  origin: string,
  kinds: readonly ResourceKind[],
): ManifestObject | ManifestProblem | 'ignored' {
  if (!isRecord(value)) return { origin, message: 'document is not an object' };
  if (typeof value['apiVersion'] !== 'string')
    return { origin, message: '/apiVersion: required string is missing' };
  if (typeof value['kind'] !== 'string') return { origin, message: '/kind: required string is missing' };
  if (value['metadata'] === undefined) value['metadata'] = {};
  if (!isKubeObject(value)) return { origin, message: '/metadata: must be an object' };
  const kind = findKind(kinds, value.apiVersion, value.kind);
  if (!kind) return 'ignored';
  const meta = value.metadata;
  if (typeof meta.name !== 'string' || meta.name === '') {
    return { origin, message: `${value.kind}: /metadata/name: required string is missing` };
  }
  if (kind.namespaced && !meta.namespace) meta.namespace = 'default';
  if (!kind.namespaced && meta.namespace) delete meta.namespace;
  return { kind, object: value, origin };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

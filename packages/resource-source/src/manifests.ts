import { constants, promises as fs, type Dirent } from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import {
  errorMessage,
  findKind,
  isKubeObject,
  yamlNestingProblem,
  type KubeObject,
  type ResourceKind,
} from '@ciliary/core';

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
  /**
   * Whether some document could not be read as YAML. The file's objects are then unknown rather than
   * absent, so a watcher keeps the ones it read from the file before.
   */
  readonly broken: boolean;
}

/** What reading one listed manifest file gave. */
export type ManifestRead =
  | { readonly kind: 'text'; readonly text: string }
  /** Removed since it was listed. */
  | { readonly kind: 'gone' }
  /** Present but unreadable: `reason` is the error's code (EACCES, ELOOP, ...) or message. */
  | { readonly kind: 'error'; readonly reason: string };

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
      if (entry.isDirectory()) await walk(full).catch((err: unknown) => ignoreIfGone(err));
      else if (MANIFEST_EXTENSIONS.has(path.extname(entry.name)) && (await isFileToRead(entry, full)))
        found.push(full);
    }
  }
  await walk(dir);
  return found;
}

/** A folder removed between listing its parent and listing it holds nothing; other errors stand. */
function ignoreIfGone(err: unknown): void {
  if (errorCode(err) !== 'ENOENT') throw err;
}

/**
 * Regular files and symlinks to them: reading a FIFO, socket or device named `x.yaml` could block for
 * ever. A symlink that cannot be followed for another reason than pointing nowhere (a loop, no
 * permission) is listed, so that reading it reports the problem instead of the file silently vanishing.
 */
async function isFileToRead(entry: Dirent, full: string): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return (await fs.stat(full)).isFile();
  } catch (err) {
    return errorCode(err) !== 'ENOENT';
  }
}

/**
 * Reads a file listManifestFiles returned. Only ENOENT means the file is gone; any other failure is
 * reported, so that a caller can keep what it read from the file before.
 */
export async function readManifestFile(file: string): Promise<ManifestRead> {
  let handle: fs.FileHandle | undefined;
  try {
    // Non-blocking, in case the path became a FIFO since it was listed: opening one waits for a writer.
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    if (!(await handle.stat()).isFile()) return { kind: 'error', reason: 'not a regular file' };
    return { kind: 'text', text: await handle.readFile('utf8') };
  } catch (err) {
    const code = errorCode(err);
    return code === 'ENOENT' ? { kind: 'gone' } : { kind: 'error', reason: code ?? errorMessage(err) };
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
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
  let broken = false;
  // Checked before the parser, which exhausts V8's memory (fatally) on flow sequences nested thousands deep.
  const nesting = yamlNestingProblem(text);
  if (nesting)
    return {
      objects,
      problems: [{ origin: `${fileLabel}:1`, message: `invalid YAML: ${nesting}` }],
      ignored,
      broken: true,
    };
  const docs = parseAllDocuments(text);
  const docList = Array.isArray(docs) ? docs : [docs];
  docList.forEach((doc, index) => {
    const origin = `${fileLabel}:${index + 1}`;
    const read = documentValue(doc);
    if ('error' in read) {
      broken = true;
      problems.push({ origin, message: `invalid YAML: ${read.error}` });
      return;
    }
    const value = read.value;
    if (value === null || value === undefined) return; // an empty document, e.g. a trailing '---'
    for (const item of expandList(value)) {
      const result = toManifestObject(item, origin, kinds);
      if (result === 'ignored') ignored++;
      else if ('message' in result) problems.push(result);
      else objects.push(result);
    }
  });
  return { objects, problems, ignored, broken };
}

/**
 * A document's plain value, or why it has none. Converting can throw where parsing did not: an
 * alias to no anchor, or more aliases than yaml allows (its guard against alias bombs).
 */
function documentValue(doc: Document.Parsed): { readonly value: unknown } | { readonly error: string } {
  if (doc.errors.length > 0) return { error: doc.errors[0]?.message.split('\n')[0] ?? 'parse error' };
  try {
    return { value: doc.toJS() as unknown };
  } catch (err) {
    return { error: errorMessage(err) };
  }
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

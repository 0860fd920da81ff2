import type { Issue, Result } from '@ciliary/core';
import type { EnvoyCodec } from '../envoy/codec';
import type { ResourceTypeRegistry } from '../resources/resource-types';
import { Snapshot, type SnapshotResource } from './snapshot';

/** A resource handed to the snapshot builder, with where it came from. */
export interface ResourceInput {
  readonly typeUrl: string;
  /** The resource in proto3 JSON, without `@type`. */
  readonly json: unknown;
  /** The document that produced it (a CEC, a Service): issues name it, and a broken document is dropped whole. */
  readonly document?: string;
  /** JSON path of the resource inside its document. */
  readonly path?: string;
  /**
   * The JSON is already in proto3 JSON's camelCase form (as translation
   * produces it), so the snapshot keeps it instead of decoding the encoding
   * back to JSON: that round trip was a third of the time of large configs.
   */
  readonly camelCase?: boolean;
}

export interface SnapshotBuild {
  readonly snapshot: Snapshot;
  /** Every problem found; the documents they name were left out of the snapshot. */
  readonly issues: Issue[];
  readonly droppedDocuments: string[];
}

interface Checked {
  readonly resource: SnapshotResource;
  readonly group: string;
  readonly input: ResourceInput;
}

/**
 * Checks every resource against Envoy's protos and validation rules, then
 * keeps only a consistent set: every route's cluster, every EDS cluster's
 * endpoints and every listener's route configuration present. A document with
 * a problem is left out as a whole (and so, in turn, are documents that only
 * worked through it), so one bad CiliumEnvoyConfig never takes down the rest.
 */
export function buildSnapshot(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  inputs: readonly ResourceInput[],
): SnapshotBuild {
  const issues: Issue[] = [];
  const bad = new Set<string>();
  const checked: Checked[] = [];
  inputs.forEach((input, index) => {
    const group = input.document ?? `resource #${index}`;
    const result = checkResource(codec, registry, input);
    if (!result.ok) {
      issues.push(...result.issues);
      bad.add(group);
    } else checked.push({ resource: result.value, group, input });
  });
  markDuplicates(registry, checked, bad, issues);
  for (;;) {
    const kept = checked.filter((c) => !bad.has(c.group));
    const newlyBad = markDangling(registry, kept, bad, issues);
    if (!newlyBad) {
      const dropped = [...bad].filter((g) => inputs.some((i, n) => (i.document ?? `resource #${n}`) === g));
      return {
        snapshot: new Snapshot(
          registry,
          kept.map((c) => c.resource),
        ),
        issues,
        droppedDocuments: dropped,
      };
    }
  }
}

/** All or nothing: the snapshot only if every resource is valid and the set is consistent. */
export function createSnapshot(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  inputs: readonly ResourceInput[],
): Result<Snapshot> {
  const build = buildSnapshot(codec, registry, inputs);
  return build.issues.length > 0 ? { ok: false, issues: build.issues } : { ok: true, value: build.snapshot };
}

function withDocument(input: ResourceInput, issue: Omit<Issue, 'document'>): Issue {
  return input.document !== undefined ? { document: input.document, ...issue } : issue;
}

function checkResource(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  input: ResourceInput,
): Result<SnapshotResource> {
  const path = input.path ?? '';
  const type = registry.get(input.typeUrl);
  if (!type)
    return {
      ok: false,
      issues: [withDocument(input, { path, message: `unsupported type ${input.typeUrl}` })],
    };
  const encoded = codec.fromJson(input.typeUrl, input.json, path);
  if (!encoded.ok) return { ok: false, issues: encoded.issues.map((issue) => withDocument(input, issue)) };
  const json = input.camelCase
    ? (input.json as Record<string, unknown>)
    : codec.toJson(input.typeUrl, encoded.value.bytes);
  const name = type.nameOf(json);
  if (name === '')
    return {
      ok: false,
      issues: [withDocument(input, { path, message: `${type.shortName} resource has no name` })],
    };
  return { ok: true, value: { typeUrl: input.typeUrl, name, json, bytes: encoded.value.bytes } };
}

function markDuplicates(
  registry: ResourceTypeRegistry,
  checked: Checked[],
  bad: Set<string>,
  issues: Issue[],
): void {
  const seen = new Map<string, Checked>();
  for (const item of checked) {
    const key = `${item.resource.typeUrl}\0${item.resource.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, item);
      continue;
    }
    const short = registry.get(item.resource.typeUrl)?.shortName ?? item.resource.typeUrl;
    const where = first.group === item.group ? '' : ` (already defined by ${first.group})`;
    issues.push(
      withDocument(item.input, {
        path: item.input.path ?? '',
        message: `duplicate ${short} name "${item.resource.name}"${where}`,
      }),
    );
    bad.add(item.group);
  }
}

function markDangling(
  registry: ResourceTypeRegistry,
  kept: Checked[],
  bad: Set<string>,
  issues: Issue[],
): boolean {
  const present = new Set(kept.map((c) => `${c.resource.typeUrl}\0${c.resource.name}`));
  let changed = false;
  for (const item of kept) {
    const type = registry.get(item.resource.typeUrl);
    for (const reference of type?.references(item.resource.json) ?? []) {
      if (present.has(`${reference.typeUrl}\0${reference.name}`)) continue;
      const short = registry.get(reference.typeUrl)?.shortName ?? reference.typeUrl;
      issues.push(
        withDocument(item.input, {
          path: `${item.input.path ?? ''}${reference.path}`,
          message: `refers to ${short} resource "${reference.name}", which nothing provides`,
        }),
      );
      if (!bad.has(item.group)) changed = true;
      bad.add(item.group);
    }
  }
  return changed;
}

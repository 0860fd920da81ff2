import { type Result, failed, ok } from '@ciliary/core';
import { goBool, goField, goInt, goStruct } from '../go-json';
import { ValueReader } from './decode';

/**
 * What a cluster announces about itself at `cilium/cluster-config/NAME`:
 * its ID, and whether it writes sync markers, so importers know to wait for
 * them before treating a prefix as complete.
 */
export interface ClusterConfig {
  readonly id: number;
  readonly syncedCanaries: boolean;
}

export function encodeClusterConfig(config: ClusterConfig): string {
  // Capabilities fields are omitempty in Cilium; the struct itself is always written.
  const capabilities: Array<[string, string]> = config.syncedCanaries
    ? [['syncedCanaries', goBool(true)]]
    : [];
  const fields: Array<[string, string]> = [];
  if (config.id !== 0) fields.push(['id', goInt(config.id)]);
  fields.push(['capabilities', goStruct(capabilities)]);
  return goStruct(fields);
}

export function decodeClusterConfig(text: string, document: string): Result<ClusterConfig> {
  const r = new ValueReader(document);
  const root = r.parse(text);
  if (!root) return failed(r.issues);
  const id = r.uint(root, 'id', '', 0xffffffff);
  const caps = goField(root, 'capabilities');
  const capabilities = caps === undefined || caps === null ? {} : (r.object(caps, '/capabilities') ?? {});
  const syncedCanaries = r.bool(capabilities, 'syncedCanaries', '/capabilities');
  return r.issues.length > 0 ? failed(r.issues) : ok({ id, syncedCanaries });
}

/** Time as Go's time.RFC3339 writes it in UTC, for sync markers and the heartbeat. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

import type { NodeInfo } from '../snapshot/cache';
import { isRecord } from '../util';

/** An xDS discovery request (envoy.service.discovery.v3.DiscoveryRequest), as the server reads it. */
export interface DiscoveryRequest {
  readonly versionInfo: string;
  readonly node?: NodeInfo;
  readonly resourceNames: readonly string[];
  readonly typeUrl: string;
  readonly responseNonce: string;
  readonly errorDetail?: { readonly code: number; readonly message: string };
}

export interface EncodedAny {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** A discovery response in protobufjs object form (snake_case), ready to encode. */
export interface DiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly EncodedAny[];
  readonly type_url: string;
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
}

/** envoy.service.discovery.v3.DeltaDiscoveryRequest, as the server reads it. */
export interface DeltaDiscoveryRequest {
  readonly node?: NodeInfo;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialResourceVersions: Readonly<Record<string, string>>;
  readonly responseNonce: string;
  readonly errorDetail?: { readonly code: number; readonly message: string };
}

export interface DeltaDiscoveryResponse {
  readonly system_version_info: string;
  readonly resources: ReadonlyArray<{ name: string; version: string; resource: EncodedAny }>;
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

export function readNode(value: unknown): NodeInfo | undefined {
  if (!isRecord(value)) return undefined;
  const cluster = text(value['cluster']);
  const userAgentName = text(value['user_agent_name']);
  const metadata = isRecord(value['metadata']) ? structToJson(value['metadata']) : {};
  return {
    id: text(value['id']),
    ...(cluster ? { cluster } : {}),
    ...(userAgentName ? { userAgentName } : {}),
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

/**
 * A google.protobuf.Struct in protobufjs object form as plain JSON. protobufjs
 * defines the well-known types itself, with camelCase names (`stringValue`),
 * whatever case the rest of the protos were loaded with.
 */
function structToJson(struct: Record<string, unknown>): Record<string, unknown> {
  const fields = isRecord(struct['fields']) ? struct['fields'] : {};
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, structValueToJson(value)]));
}

function structValueToJson(value: unknown): unknown {
  if (!isRecord(value)) return null;
  if (typeof value['stringValue'] === 'string') return value['stringValue'];
  if (typeof value['numberValue'] === 'number') return value['numberValue'];
  if (typeof value['boolValue'] === 'boolean') return value['boolValue'];
  if (isRecord(value['structValue'])) return structToJson(value['structValue']);
  if (isRecord(value['listValue'])) {
    const values = value['listValue']['values'];
    return Array.isArray(values) ? values.map(structValueToJson) : [];
  }
  return null;
}

function readStatus(value: unknown): { code: number; message: string } | undefined {
  if (!isRecord(value)) return undefined;
  return { code: typeof value['code'] === 'number' ? value['code'] : 0, message: text(value['message']) };
}

/** Reads a decoded DiscoveryRequest (protobufjs object form). */
export function readDiscoveryRequest(object: Record<string, unknown>): DiscoveryRequest {
  const node = readNode(object['node']);
  const errorDetail = readStatus(object['error_detail']);
  return {
    versionInfo: text(object['version_info']),
    resourceNames: strings(object['resource_names']),
    typeUrl: text(object['type_url']),
    responseNonce: text(object['response_nonce']),
    ...(node ? { node } : {}),
    ...(errorDetail ? { errorDetail } : {}),
  };
}

export function readDeltaDiscoveryRequest(object: Record<string, unknown>): DeltaDiscoveryRequest {
  const node = readNode(object['node']);
  const errorDetail = readStatus(object['error_detail']);
  const versions = isRecord(object['initial_resource_versions']) ? object['initial_resource_versions'] : {};
  return {
    typeUrl: text(object['type_url']),
    subscribe: strings(object['resource_names_subscribe']),
    unsubscribe: strings(object['resource_names_unsubscribe']),
    initialResourceVersions: Object.fromEntries(Object.entries(versions).map(([k, v]) => [k, text(v)])),
    responseNonce: text(object['response_nonce']),
    ...(node ? { node } : {}),
    ...(errorDetail ? { errorDetail } : {}),
  };
}

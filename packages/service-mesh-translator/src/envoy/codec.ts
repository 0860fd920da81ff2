import type { Root, Type } from 'protobufjs';
import { CiliaryError, nestIssues, type Issue, type Result } from '@ciliary/core';
import { ProtoCatalog } from './json-names';
import { ProtoJsonReader } from './json-reader';
import { ProtoJsonWriter } from './json-writer';
import { loadEnvoyRoot } from './protos';
import { typeNameOfUrl } from './type-urls';

export class UnknownTypeError extends CiliaryError {
  override readonly name = 'UnknownTypeError';
  constructor(readonly typeUrl: string) {
    super(`unknown protobuf type ${typeUrl}`);
  }
}

/** A resource in proto3 JSON and its protobuf encoding, both from one check. */
export interface EncodedMessage {
  readonly bytes: Uint8Array;
  /** The object form protobufjs encodes (snake_case names, numeric enums). */
  readonly object: Record<string, unknown>;
}

/**
 * Encodes and decodes Envoy's messages from and to proto3 JSON, using Envoy's
 * own .proto files, and checks Envoy's validation rules on the way in. One
 * instance per process is enough; it is handed to whoever needs it.
 */
export class EnvoyCodec {
  private readonly reader: ProtoJsonReader;
  private readonly lenientReader: ProtoJsonReader;
  private readonly writer: ProtoJsonWriter;

  constructor(readonly root: Root) {
    const catalog = new ProtoCatalog();
    this.reader = new ProtoJsonReader(root, true, catalog);
    this.lenientReader = new ProtoJsonReader(root, false, catalog);
    this.writer = new ProtoJsonWriter(root, catalog);
  }

  /** Loads Envoy's protos from the npm package that ships them. */
  static load(extraProtoFiles: readonly string[] = []): EnvoyCodec {
    return new EnvoyCodec(loadEnvoyRoot(extraProtoFiles));
  }

  /** The message type of a type URL (or full message name), if the protos define it. */
  messageType(typeUrlOrName: string): Type | undefined {
    try {
      return this.root.lookupType(typeNameOfUrl(typeUrlOrName));
    } catch {
      return undefined;
    }
  }

  private requireType(typeUrl: string): Type {
    const type = this.messageType(typeUrl);
    if (!type) throw new UnknownTypeError(typeUrl);
    return type;
  }

  /**
   * Reads proto3 JSON as the message of `typeUrl`, checks Envoy's validation
   * rules and encodes it. Every problem comes back with its path under `path`.
   */
  fromJson(typeUrl: string, json: unknown, path = ''): Result<EncodedMessage> {
    const type = this.messageType(typeUrl);
    if (!type) return { ok: false, issues: [{ path, message: `unknown type ${typeUrl}` }] };
    const issues: Issue[] = [];
    const object = this.reader.readMessage(type, json, '', issues);
    if (object === undefined || issues.length > 0) return { ok: false, issues: nestIssues(path, issues) };
    const bytes = type.encode(type.fromObject(object)).finish();
    return { ok: true, value: { bytes, object } };
  }

  /**
   * Normalises proto3 JSON to its canonical form (camelCase names, enum names,
   * defaults left out) without Envoy's validation rules: input is completed
   * (config sources, Cilium's filters) before it is checked with `fromJson`.
   * Unknown fields and ill-typed values are still errors.
   */
  canonicalize(typeUrl: string, json: unknown, path = ''): Result<Record<string, unknown>> {
    const type = this.messageType(typeUrl);
    if (!type) return { ok: false, issues: [{ path, message: `unknown type ${typeUrl}` }] };
    const issues: Issue[] = [];
    const object = this.lenientReader.readMessage(type, json, '', issues);
    if (object === undefined || issues.length > 0) return { ok: false, issues: nestIssues(path, issues) };
    const bytes = type.encode(type.fromObject(object)).finish();
    return { ok: true, value: this.toJson(typeUrl, bytes) };
  }

  /** Decodes protobuf bytes of `typeUrl` into proto3 JSON. */
  toJson(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
    const type = this.requireType(typeUrl);
    const message = type.decode(bytes) as unknown as Record<string, unknown>;
    return this.writer.writeMessage(type, message) as Record<string, unknown>;
  }

  /** Encodes a plain object in protobufjs form (snake_case names), for protocol messages. */
  encode(typeUrl: string, object: Record<string, unknown>): Uint8Array {
    const type = this.requireType(typeUrl);
    return type.encode(type.fromObject(object)).finish();
  }

  /** Decodes protobuf bytes into the protobufjs object form (snake_case names, longs as strings). */
  decode(typeUrl: string, bytes: Uint8Array): Record<string, unknown> {
    const type = this.requireType(typeUrl);
    return type.toObject(type.decode(bytes), { longs: String, defaults: false }) as Record<string, unknown>;
  }
}

import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { Root, Type } from 'protobufjs';
import { Normalizers, type NormalizeOptions } from './json/decode';
import { writeMessage } from './json/encode';
import { decodeWire, encodeWire } from './schema/binary';
import { loadTetragonRoot } from './schema/load';
import { SchemaTables, type MessageTable } from './schema/table';
import type { GetEventsResponse } from './model/types.generated';

/** Full names of the messages the codec reads and writes most. */
export const EVENT_MESSAGE = 'tetragon.GetEventsResponse';

export type ParseOptions = NormalizeOptions;

/**
 * Reads and writes Tetragon's event API: protojson as Tetragon's export writes it, and protobuf
 * binary for gRPC. One codec parses the .proto files once; create it at start-up and share it.
 */
export class TetragonCodec {
  readonly tables: SchemaTables;
  private readonly types = new Map<string, Type>();
  readonly events: MessageTable;
  private readonly normalizers = new Normalizers();

  constructor(readonly root: Root = loadTetragonRoot()) {
    this.tables = new SchemaTables(root);
    this.events = this.tables.message(EVENT_MESSAGE);
  }

  /** Parses one line of Tetragon's JSON export (snake_case or lowerCamel keys, any whitespace). */
  parseEvent(text: string, options: ParseOptions = {}): Result<GetEventsResponse> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failed([
        issue(options, '', `invalid JSON: ${err instanceof Error ? err.message : String(err)}`),
      ]);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return failed([issue(options, '', `expected a JSON object (${EVENT_MESSAGE})`)]);
    }
    const issues = this.normalizers.normalize(value as Record<string, unknown>, this.events, options);
    return issues.length > 0 ? failed(issues) : ok(value as GetEventsResponse);
  }

  /** Writes an event as Tetragon's export does, without the trailing newline. */
  stringifyEvent(event: GetEventsResponse): string {
    return writeMessage(event as Record<string, unknown>, this.events);
  }

  /** Parses JSON text as the named message (e.g. `tetragon.Filter`). */
  parse<T>(messageName: string, text: string, options: ParseOptions = {}): Result<T> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failed([
        issue(options, '', `invalid JSON: ${err instanceof Error ? err.message : String(err)}`),
      ]);
    }
    return this.fromJson<T>(messageName, value, options);
  }

  /** Validates and normalises an already parsed JSON value in place. */
  fromJson<T>(messageName: string, value: unknown, options: ParseOptions = {}): Result<T> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return failed([issue(options, '', `expected a JSON object (${messageName})`)]);
    }
    const issues = this.normalizers.normalize(
      value as Record<string, unknown>,
      this.tables.message(messageName),
      options,
    );
    return issues.length > 0 ? failed(issues) : ok(value as T);
  }

  /** Writes any message of the API as protojson with proto names. */
  stringify(messageName: string, value: object): string {
    return writeMessage(value as Record<string, unknown>, this.tables.message(messageName));
  }

  /** Protobuf binary encoding of any message of the API. */
  encode(messageName: string, value: object): Uint8Array {
    return encodeWire(
      this.type(messageName),
      this.tables.message(messageName),
      value as Record<string, unknown>,
    );
  }

  decode<T>(messageName: string, bytes: Uint8Array): T {
    return decodeWire(this.type(messageName), this.tables.message(messageName), bytes) as T;
  }

  private type(messageName: string): Type {
    let type = this.types.get(messageName);
    if (!type) {
      type = this.root.lookupType(messageName);
      this.types.set(messageName, type);
    }
    return type;
  }
}

function issue(options: ParseOptions, path: string, message: string): Issue {
  return options.document === undefined ? { path, message } : { document: options.document, path, message };
}

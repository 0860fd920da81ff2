import { failed, ok, type Issue, type Result } from '@ciliary/core';
import type { Root, Type } from 'protobufjs';
import { Normalizers, type NormalizeOptions } from './json/decode';
import { writeMessage } from './json/encode';
import { decodeWire, encodeWire } from './schema/binary';
import { loadTetragonRoot } from './schema/load';
import { SchemaTables, type MessageTable } from './schema/table';
import { withExactIntegers } from './json/exact-integers';
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
    return this.read<GetEventsResponse>(this.events, text, options);
  }

  /** Writes an event as Tetragon's export does, without the trailing newline. */
  stringifyEvent(event: GetEventsResponse): string {
    return writeMessage(event as Record<string, unknown>, this.events);
  }

  /** Parses JSON text as the named message (e.g. `tetragon.Filter`). */
  parse<T>(messageName: string, text: string, options: ParseOptions = {}): Result<T> {
    return this.read<T>(this.tables.message(messageName), text, options);
  }

  private read<T>(table: MessageTable, text: string, options: ParseOptions): Result<T> {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return failed([
        issue(options, '', `invalid JSON: ${err instanceof Error ? err.message : String(err)}`),
      ]);
    }
    const first = this.validate<T>(table, value, options);
    if (first.ok) return first;
    // 64-bit integers written as JSON numbers beyond 2^53 are read from their digits, as protojson does.
    const exact = withExactIntegers(text);
    if (exact === undefined) return first;
    const second = this.validate<T>(table, JSON.parse(exact), options);
    return second.ok ? second : first;
  }

  /** Validates and normalises an already parsed JSON value in place. */
  fromJson<T>(messageName: string, value: unknown, options: ParseOptions = {}): Result<T> {
    return this.validate<T>(this.tables.message(messageName), value, options);
  }

  private validate<T>(table: MessageTable, value: unknown, options: ParseOptions): Result<T> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return failed([issue(options, '', `expected a JSON object (${table.fullName})`)]);
    }
    const issues = this.normalizers.normalize(value as Record<string, unknown>, table, options);
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

import { Enum, MapField, type Root, Type, type Field } from 'protobufjs';

/** How a field's value looks in Tetragon's JSON (protojson) and in the model. */
export type FieldKind =
  | 'string'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'bool'
  | 'double'
  | 'bytes'
  | 'enum'
  | 'message'
  | 'wrapper'
  | 'timestamp'
  | 'duration'
  | 'fieldMask';

export interface EnumTable {
  readonly fullName: string;
  readonly byName: ReadonlyMap<string, number>;
  readonly byNumber: ReadonlyMap<number, string>;
}

export interface FieldTable {
  /** The proto name: the model's key and the JSON key Tetragon writes. */
  readonly name: string;
  /** The lowerCamel JSON name protojson also accepts. */
  readonly jsonName: string;
  readonly id: number;
  readonly kind: FieldKind;
  readonly repeated: boolean;
  /** Map fields (always map<string, string> in this API) hold their value kind in `kind`. */
  readonly map: boolean;
  /** Name of the oneof the field belongs to; members keep zero values (they have presence). */
  readonly oneof: string | undefined;
  /** For `wrapper` fields, the kind of the wrapped value. */
  readonly wrapped: FieldKind | undefined;
  readonly enumTable: EnumTable | undefined;
  /** Filled after all tables exist, so recursive messages work. */
  message: MessageTable | undefined;
  /** `"name":`, precomputed for the writer. */
  readonly jsonKey: string;
}

export interface MessageTable {
  readonly fullName: string;
  /** In declaration order: the order Tetragon's JSON writes keys in. */
  readonly fields: readonly FieldTable[];
  /** Accepted JSON keys (proto and lowerCamel names) to field. */
  readonly byKey: Readonly<Record<string, FieldTable>>;
  readonly byName: ReadonlyMap<string, FieldTable>;
  readonly byId: ReadonlyMap<number, FieldTable>;
  readonly oneofs: ReadonlyMap<string, readonly FieldTable[]>;
}

const SCALARS: Record<string, FieldKind> = {
  string: 'string',
  int32: 'int32',
  sint32: 'int32',
  sfixed32: 'int32',
  uint32: 'uint32',
  fixed32: 'uint32',
  int64: 'int64',
  sint64: 'int64',
  sfixed64: 'int64',
  uint64: 'uint64',
  fixed64: 'uint64',
  bool: 'bool',
  double: 'double',
  float: 'double',
  bytes: 'bytes',
};

const WRAPPERS: Record<string, FieldKind> = {
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'double',
};

/** protoc's json_name: drop underscores and upper-case the letter after each. */
export function jsonNameOf(protoName: string): string {
  let out = '';
  let upper = false;
  for (const c of protoName) {
    if (c === '_') {
      upper = true;
      continue;
    }
    out += upper ? c.toUpperCase() : c;
    upper = false;
  }
  return out;
}

/** Builds lookup tables for every message of the root, keyed by full name without the dot. */
export class SchemaTables {
  private readonly messages = new Map<string, MessageTable>();
  private readonly enums = new Map<string, EnumTable>();

  constructor(readonly root: Root) {}

  message(fullName: string): MessageTable {
    const key = fullName.replace(/^\./, '');
    const cached = this.messages.get(key);
    if (cached) return cached;
    const type = this.root.lookupType(key);
    const fields = type.fieldsArray.map((f) => this.fieldTable(f));
    const table: MessageTable = {
      fullName: key,
      fields,
      byKey: keyIndex(fields),
      byName: new Map(fields.map((f) => [f.name, f])),
      byId: new Map(fields.map((f) => [f.id, f])),
      oneofs: oneofIndex(fields),
    };
    this.messages.set(key, table);
    for (const field of fields) {
      const resolved = type.fields[field.name]?.resolvedType;
      if (field.kind === 'message' && resolved instanceof Type)
        field.message = this.message(resolved.fullName);
    }
    return table;
  }

  enumTable(fullName: string): EnumTable {
    const key = fullName.replace(/^\./, '');
    const cached = this.enums.get(key);
    if (cached) return cached;
    const e = this.root.lookupEnum(key);
    const byName = new Map(Object.entries(e.values));
    const byNumber = new Map<number, string>();
    for (const [name, value] of byName) if (!byNumber.has(value)) byNumber.set(value, name);
    const table = { fullName: key, byName, byNumber };
    this.enums.set(key, table);
    return table;
  }

  private fieldTable(field: Field): FieldTable {
    const resolved = field.resolvedType;
    let kind: FieldKind;
    let wrapped: FieldKind | undefined;
    let enumTable: EnumTable | undefined;
    if (resolved instanceof Enum) {
      kind = 'enum';
      enumTable = this.enumTable(resolved.fullName);
    } else if (resolved instanceof Type) {
      const full = resolved.fullName;
      if (full === '.google.protobuf.Timestamp') kind = 'timestamp';
      else if (full === '.google.protobuf.Duration') kind = 'duration';
      else if (full === '.google.protobuf.FieldMask') kind = 'fieldMask';
      else if (WRAPPERS[full]) {
        kind = 'wrapper';
        wrapped = WRAPPERS[full];
      } else kind = 'message';
    } else {
      const scalar = SCALARS[field.type];
      if (!scalar) throw new Error(`unsupported field type ${field.type} of ${field.fullName}`);
      kind = scalar;
    }
    return {
      name: field.name,
      jsonName: jsonNameOf(field.name),
      id: field.id,
      kind,
      repeated: field.repeated,
      map: field instanceof MapField,
      oneof: field.partOf?.name,
      wrapped,
      enumTable,
      message: undefined,
      jsonKey: `${JSON.stringify(field.name)}:`,
    };
  }
}

function keyIndex(fields: readonly FieldTable[]): Record<string, FieldTable> {
  const index: Record<string, FieldTable> = Object.create(null) as Record<string, FieldTable>;
  for (const f of fields) {
    index[f.name] = f;
    index[f.jsonName] = f;
  }
  return index;
}

function oneofIndex(fields: readonly FieldTable[]): Map<string, FieldTable[]> {
  const index = new Map<string, FieldTable[]>();
  for (const f of fields) {
    if (f.oneof === undefined) continue;
    const members = index.get(f.oneof) ?? [];
    members.push(f);
    index.set(f.oneof, members);
  }
  return index;
}

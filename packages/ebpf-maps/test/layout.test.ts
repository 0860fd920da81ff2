import { beforeAll, describe, expect, test } from '@jest/globals';
import {
  ctEntry,
  dropNotify,
  egressGwPolicyEntry,
  egressGwPolicyKey,
  endpointInfo,
  endpointKey,
  ipcacheKey,
  ipv4CtTuple,
  ipv4NatEntry,
  lb4AffinityKey,
  lb4Backend,
  lb4Key,
  lb4ReverseNat,
  lb4Service,
  lb4SrcRangeKey,
  lb6AffinityKey,
  lb6Backend,
  lb6Key,
  lb6ReverseNat,
  lb6Service,
  lb6SrcRangeKey,
  ipv6CtTuple,
  ipv6NatEntry,
  lbAffinityMatch,
  lbAffinityVal,
  metricsKey,
  metricsValue,
  policyEntry,
  policyEntryV2,
  policyKey,
  policyKeyV2,
  policyVerdictNotify,
  remoteEndpointInfo,
  sizeOf,
  traceNotify,
  type Field,
  type StructCodec,
} from '../src';
import { compileLayoutsObject, readBtfStructs, type CMember, type CStruct } from './support/c-layouts';

// Every struct codec, checked against the BTF clang emits for the same C struct.
const codecs: Array<StructCodec<unknown>> = [
  policyKey,
  policyEntry,
  policyKeyV2,
  policyEntryV2,
  ipcacheKey,
  remoteEndpointInfo,
  lb4Key,
  lb4Service,
  lb4Backend,
  lb4ReverseNat,
  lb4AffinityKey,
  lbAffinityVal,
  lbAffinityMatch,
  lb4SrcRangeKey,
  lb6Key,
  lb6Service,
  lb6Backend,
  lb6ReverseNat,
  lb6AffinityKey,
  lb6SrcRangeKey,
  ipv4CtTuple,
  ipv6CtTuple,
  ctEntry,
  ipv4NatEntry,
  ipv6NatEntry,
  egressGwPolicyKey,
  egressGwPolicyEntry,
  endpointKey,
  endpointInfo,
  metricsKey,
  metricsValue,
  dropNotify,
  traceNotify,
  policyVerdictNotify,
] as Array<StructCodec<unknown>>;

function namesOf(field: Field): string[] {
  const names = [field.name, ...(field.aliases ?? [])];
  if (field.type.kind === 'union') names.push(...field.type.cases.map((c) => c.name));
  return names;
}

/** Whether the C member sits exactly where the layout says the field is. */
function matches(field: Field, member: CMember): boolean {
  const type = field.type;
  if (type.kind === 'bits')
    return member.bitfieldSize === type.width && member.bitOffset === field.offset * 8 + type.bit;
  if (member.bitfieldSize !== undefined || member.bitOffset !== field.offset * 8) return false;
  return type.kind === 'union' ? member.byteSize <= type.size : member.byteSize === sizeOf(type);
}

/** Bits of the struct that C members occupy but no layout field covers. */
function uncovered(struct: CStruct, fields: readonly Field[]): string[] {
  const covers = (member: CMember): boolean =>
    fields.some((f) => {
      const start = f.offset * 8 + (f.type.kind === 'bits' ? f.type.bit : 0);
      const end = f.type.kind === 'bits' ? start + f.type.width : start + sizeOf(f.type) * 8;
      const size = member.bitfieldSize ?? member.byteSize * 8;
      return member.bitOffset >= start && member.bitOffset + size <= end;
    });
  return struct.members.filter((m) => m.leaf && !covers(m)).map((m) => m.name);
}

describe('codec layouts match the C structs compiled by clang (BTF)', () => {
  let structs: Map<string, CStruct>;
  beforeAll(() => {
    structs = readBtfStructs(compileLayoutsObject());
  }, 30_000);

  test.each(codecs.map((c) => [c.name, c] as const))('%s', (name, codec) => {
    const struct = structs.get(name);
    expect(struct).toBeDefined();
    if (!struct) return;
    expect(codec.size).toBe(struct.size);
    const misplaced = codec.layout.fields
      .filter((field) => !struct.members.some((m) => namesOf(field).includes(m.name) && matches(field, m)))
      .map((f) => f.name);
    expect(misplaced).toEqual([]);
    expect(uncovered(struct, codec.layout.fields)).toEqual([]);
  });
});

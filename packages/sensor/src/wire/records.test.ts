import { describe, expect, test } from '@jest/globals';
import { decodeArguments, decodeGeneric, permission } from './generic-records';
import { decodeExec, decodeProcessRecord, RecordError } from './process-records';

function execRecord(filename: string, args: string, cwd: string): Buffer {
  const data = Buffer.from(filename + args + cwd, 'latin1');
  const b = Buffer.alloc(240 + data.length);
  b.writeUInt8(5, 0);
  b.writeBigUInt64LE(77n, 8);
  b.writeUInt32LE(42, 16);
  b.writeBigUInt64LE(77n, 24);
  b.writeUInt32LE(1, 32);
  b.writeBigUInt64LE(5n, 40);
  b.writeUInt32LE(42, 64);
  b.writeUInt32LE(1000, 68);
  b.writeUInt32LE(4294967295, 72);
  b.writeUInt32LE(0x4001, 76);
  b.writeUInt32LE(filename.length, 80);
  b.writeUInt32LE(args.length, 84);
  b.writeUInt32LE(cwd.length, 88);
  b.writeUInt32LE(1, 92);
  b.writeUInt32LE(7, 96);
  b.writeBigUInt64LE(4242n, 104);
  b.write(`cri-containerd-${'ab'.repeat(32)}.scope`, 112);
  data.copy(b, 240);
  return b;
}

describe('process records', () => {
  test('an exec record splits into filename, arguments and cwd', () => {
    const r = decodeExec(execRecord('/bin/ls', '-l\0/tmp\0', '/home'));
    expect(r).toMatchObject({
      key: { pid: 42, ktime: 77n },
      parent: { pid: 1, ktime: 5n },
      uid: 1000,
      auid: 4294967295,
      flags: 0x4001,
      filename: '/bin/ls',
      cwd: '/home',
      nspid: 7,
      cgroupId: 4242n,
      cgroupName: `cri-containerd-${'ab'.repeat(32)}.scope`,
    });
    expect(r.args.toString('latin1')).toBe('-l\0/tmp\0');
  });

  test('a record shorter than it announces is refused', () => {
    const b = execRecord('/bin/ls', '', '/');
    expect(() => decodeExec(b.subarray(0, b.length - 1))).toThrow(RecordError);
    expect(decodeProcessRecord(Buffer.from([99, 0, 0, 0]))).toBeUndefined();
  });
});

describe('generic records', () => {
  test('arguments decode by the hook output types, 8-byte aligned', () => {
    const data = Buffer.alloc(64);
    data.writeBigInt64LE(-1n, 0); // int
    data.writeUInt32LE(3, 8); // string of 3
    data.write('abc', 12);
    data.writeUInt32LE(4, 16); // file path of 4, mode 0100644
    data.writeUInt32LE(0o100644, 20);
    data.write('/etc', 24);
    data.writeBigInt64LE(65536n, 32); // size
    const header = Buffer.alloc(64);
    header.writeUInt8(13, 0);
    header.writeUInt32LE(7, 32);
    header.writeUInt8(3, 40);
    header.writeUInt32LE(40, 56);
    const record = decodeGeneric(Buffer.concat([header, data.subarray(0, 40)]));
    expect(record).toMatchObject({ hookId: 7, action: 3, data: data.subarray(0, 40) });
    expect(
      decodeArguments(record.data, [
        { type: 'int' },
        { type: 'string', label: 'name' },
        { type: 'file' },
        { type: 'size' },
      ]),
    ).toEqual([
      { int_arg: -1 },
      { string_arg: 'abc', label: 'name' },
      { file_arg: { path: '/etc', permission: '-rw-r--r--' } },
      { size_arg: '65536' },
    ]);
    expect(() =>
      decodeArguments(record.data, [
        { type: 'int' },
        { type: 'string' },
        { type: 'file' },
        { type: 'size' },
        { type: 'int' },
      ]),
    ).toThrow(RecordError);
  });

  test('permissions print as ls does', () => {
    expect(permission(0o040755)).toBe('drwxr-xr-x');
    expect(permission(0o104755)).toBe('-rwsr-xr-x');
    expect(permission(0o041777)).toBe('drwxrwxrwt');
    expect(permission(0o120777)).toBe('lrwxrwxrwx');
  });
});

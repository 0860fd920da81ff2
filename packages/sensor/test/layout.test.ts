import { describe, expect, test } from '@jest/globals';
import * as path from 'node:path';
import { structLayout } from './btf';
import { HOOK_CONFIG_SIZE } from '../src';
import { EXECVE_VALUE_SIZE } from '../src/process/execve-map';
import { EXEC_HEADER_SIZE } from '../src/wire/process-records';
import { GENERIC_HEADER_SIZE } from '../src/wire/generic-records';

const dist = path.resolve(__dirname, '../dist/bpf');

// The TypeScript side reads and writes these structs by offset; clang's BTF is the truth.
describe('record and config layouts match the compiled objects', () => {
  test('exec record and process table entry', () => {
    const exec = structLayout(path.join(dist, 'process.o'), 'msg_exec');
    expect(exec.offsets).toEqual({
      common: 0,
      key: 16,
      parent: 32,
      cleanup: 48,
      tid: 64,
      uid: 68,
      auid: 72,
      flags: 76,
      size_filename: 80,
      size_args: 84,
      size_cwd: 88,
      ppid: 92,
      nspid: 96,
      pad: 100,
      cgrpid: 104,
      docker: 112,
      data: EXEC_HEADER_SIZE,
    });
    const value = structLayout(path.join(dist, 'process.o'), 'execve_value');
    expect(value).toEqual({
      size: EXECVE_VALUE_SIZE,
      offsets: { key: 0, pkey: 16, flags: 32, pad: 36, bin: 40 },
    });
  });

  test('generic record, hook config and argument encodings', () => {
    const object = path.join(dist, 'generic.o');
    expect(structLayout(object, 'msg_generic').offsets).toMatchObject({
      current: 16,
      hook_id: 32,
      tid: 36,
      action: 40,
      selector: 41,
      has_return: 42,
      action_arg: 44,
      ret: 48,
      data_len: 56,
      data: GENERIC_HEADER_SIZE,
    });
    expect(structLayout(object, 'hook_config')).toEqual({
      size: HOOK_CONFIG_SIZE,
      offsets: {
        hook_id: 0,
        source: 4,
        n_args: 5,
        n_selectors: 6,
        has_return: 7,
        return_type: 8,
        needs_stash: 9,
        ret_filter: 10,
        require_tcp: 11,
        read_nrs: 12,
        args: 28,
        selectors: 112,
        verdict_cache: 4912,
        namespaced: 4913,
        n_nrs: 4914,
        pad3: 4915,
        nrs: 4920,
      },
    });
    expect(structLayout(object, 'arg_config')).toEqual({
      size: 16,
      offsets: {
        type: 0,
        src: 1,
        index: 2,
        size_arg: 3,
        user: 4,
        pad: 5,
        tp_offset: 6,
        tp_size: 8,
        max_data: 10,
        pad2: 12,
      },
    });
    expect(structLayout(object, 'selector')).toMatchObject({
      size: 960,
      offsets: { action: 7, action_arg: 8, pids: 16, args: 32, ns: 712, caps: 912 },
    });
    expect(structLayout(object, 'match_arg')).toMatchObject({ size: 136, offsets: { values: 8 } });
    expect(structLayout(object, 'match_value')).toMatchObject({
      size: 32,
      offsets: { addr: 8, prefix: 24, family: 25 },
    });
    expect(structLayout(object, 'ns_filter')).toMatchObject({ size: 20, offsets: { values: 4 } });
    expect(structLayout(object, 'cap_filter')).toMatchObject({ size: 16, offsets: { mask: 8 } });
    expect(structLayout(object, 'str_eq_key')).toEqual({
      size: 260,
      offsets: { id: 0, pad: 1, len: 2, str: 4 },
    });
    expect(structLayout(object, 'str_lpm_key')).toEqual({
      size: 260,
      offsets: { prefixlen: 0, id: 4, str: 5 },
    });
  });
});

import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from './codec';
import { ALL_LINES, EXEC_POD, EXIT_STATUS, KPROBE_FILE_PERMISSION, KPROBE_READ } from '../test/fixtures';
import type { GetEventsResponse } from './model/types.generated';
import type { FieldKind, FieldTable, MessageTable } from './schema/table';

const codec = new TetragonCodec();

function parse(text: string, strict = false): GetEventsResponse {
  const r = codec.parseEvent(text, { discardUnknown: !strict });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.value;
}

/** Go's protojson may put a space after ':' and ',' (it randomises this per binary). */
function goSpacing(line: string): string {
  return JSON.stringify(JSON.parse(line)).replace(/([^\\]":|,)(?=["{[\dtf-])/g, '$1 ');
}

describe('JSON as Tetragon exports it', () => {
  test.each(Object.entries(ALL_LINES))('%s: parse then write gives the same line', (_name, line) => {
    expect(codec.stringifyEvent(parse(line, true))).toBe(line);
  });

  test.each(Object.entries(ALL_LINES))('%s: any whitespace reads the same', (_name, line) => {
    expect(codec.stringifyEvent(parse(goSpacing(line)))).toBe(line);
    expect(codec.stringifyEvent(parse(JSON.stringify(JSON.parse(line), null, 2)))).toBe(line);
  });

  test('lowerCamel keys read as proto names', () => {
    const camel =
      '{"processKprobe":{"process":{"execId":"eA==","pid":7,"startTime":"2024-04-14T02:18:14.100Z"},"functionName":"__x64_sys_read","args":[{"fileArg":{"path":"/x"}},{"sizeArg":"9"}],"policyName":"p","returnAction":"KPROBE_ACTION_POST"},"nodeName":"n"}';
    expect(codec.stringifyEvent(parse(camel, true))).toBe(
      '{"process_kprobe":{"process":{"exec_id":"eA==","pid":7,"start_time":"2024-04-14T02:18:14.100Z"},"function_name":"__x64_sys_read","args":[{"file_arg":{"path":"/x"}},{"size_arg":"9"}],"policy_name":"p","return_action":"KPROBE_ACTION_POST"},"node_name":"n"}',
    );
  });

  test('zero scalars disappear, wrappers and oneof members keep their zero', () => {
    const text =
      '{"process_exit":{"process":{"pid":0,"uid":0,"binary":"","refcnt":0,"in_init_tree":false},"signal":"","status":0},"node_name":""}';
    expect(codec.stringifyEvent(parse(text))).toBe(
      '{"process_exit":{"process":{"pid":0,"uid":0,"in_init_tree":false}}}',
    );
    const ret =
      '{"process_kprobe":{"return":{"int_arg":0},"args":[{"bpf_cmd_arg":"BPF_MAP_CREATE"},{"string_arg":""}]}}';
    expect(codec.stringifyEvent(parse(ret))).toBe(
      '{"process_kprobe":{"args":[{"bpf_cmd_arg":"BPF_MAP_CREATE"},{"string_arg":""}],"return":{"int_arg":0}}}',
    );
  });

  test('64-bit integers are written as strings whether read as numbers or strings', () => {
    const text =
      '{"process_kprobe":{"args":[{"size_arg":65536},{"long_arg":"-5"},{"truncated_bytes_arg":{"orig_size":"1.2e1"}}]}}';
    expect(codec.stringifyEvent(parse(text))).toBe(
      '{"process_kprobe":{"args":[{"size_arg":"65536"},{"long_arg":"-5"},{"truncated_bytes_arg":{"orig_size":"12"}}]}}',
    );
  });

  test('timestamps need upper-case T and Z, as protojson reads them', () => {
    expect(codec.parseEvent('{"time":"2024-04-14T04:18:14.5+02:00"}')).toEqual({
      ok: true,
      value: { time: '2024-04-14T02:18:14.500Z' },
    });
    expect(codec.parseEvent('{"time":"2024-04-14t02:18:14Z"}').ok).toBe(false);
    expect(codec.parseEvent('{"time":"2024-04-14T02:18:14z"}').ok).toBe(false);
  });

  test('quoted integers read as JSON numbers, as protojson reads them', () => {
    const sizes = (v: string) =>
      codec.parseEvent(`{"process_kprobe":{"args":[{"size_arg":"${v}"},{"int_arg":"${v}"}]}}`);
    for (const [text, value] of [
      ['1e2', 100],
      ['1.0', 1],
      ['1.50e1', 15],
      ['-0', 0],
      ['0e5', 0],
    ] as const) {
      const r = sizes(text);
      // int_arg is a oneof member: its zero is kept.
      expect(r.ok && r.value.process_kprobe?.args?.[1]?.int_arg).toBe(value);
    }
    for (const bad of ['01', '1.5', '+1', ' 1', '0x10', '1e-2', '1e400', ''])
      expect(sizes(bad).ok).toBe(false);
    expect(codec.parseEvent('{"process_kprobe":{"args":[{"size_arg":"1e19"}]}}').ok).toBe(true);
    expect(codec.parseEvent('{"process_kprobe":{"args":[{"size_arg":"1e20"}]}}').ok).toBe(false);
    // Enum numbers are int32.
    expect(codec.parseEvent('{"process_kprobe":{"action":2147483648}}').ok).toBe(false);
    expect(codec.parseEvent('{"process_kprobe":{"action":99}}').ok).toBe(true);
  });

  test('timestamps are written in UTC with 0, 3, 6 or 9 fraction digits', () => {
    const cases: Array<[string, string]> = [
      ['2022-02-01T18:01:56.410000Z', '2022-02-01T18:01:56.410Z'],
      ['2022-02-01T18:01:56.000Z', '2022-02-01T18:01:56Z'],
      ['2022-02-01T19:01:56.5+01:00', '2022-02-01T18:01:56.500Z'],
      ['2022-02-01T18:01:56.1234Z', '2022-02-01T18:01:56.123400Z'],
      ['2022-02-01T18:01:56.123456789Z', '2022-02-01T18:01:56.123456789Z'],
    ];
    for (const [input, output] of cases) {
      expect(codec.stringifyEvent(parse(`{"time":"${input}"}`))).toBe(`{"time":"${output}"}`);
    }
  });

  test('enums are written by name, also when read by number', () => {
    expect(codec.stringifyEvent(parse('{"process_kprobe":{"action":3,"return_action":0}}'))).toBe(
      '{"process_kprobe":{"action":"KPROBE_ACTION_SIGKILL"}}',
    );
    expect(
      codec.stringifyEvent(parse('{"process_exec":{"process":{"cap":{"effective":[0,"DAC_OVERRIDE",21]}}}}')),
    ).toBe('{"process_exec":{"process":{"cap":{"effective":["CAP_CHOWN","DAC_OVERRIDE","CAP_SYS_ADMIN"]}}}}');
  });

  test('bytes are written as padded standard base64, URL-safe and unpadded input accepted', () => {
    expect(codec.stringifyEvent(parse('{"process_loader":{"buildid":"-_8"}}'))).toBe(
      '{"process_loader":{"buildid":"+/8="}}',
    );
  });

  test('map keys are written sorted, as Go does', () => {
    expect(codec.stringifyEvent(parse('{"node_labels":{"zone":"a","arch":"amd64"}}'))).toBe(
      '{"node_labels":{"arch":"amd64","zone":"a"}}',
    );
  });

  test('strings are escaped as protojson does: U+2028, DEL and <>& stay as they are', () => {
    const event = parse(
      '{"process_exec":{"process":{"arguments":"a\\"b\\\\c\\n\\u0001\\u001f\\u007f\\u2028<>&"}}}',
    );
    expect(event.process_exec?.process?.arguments).toBe('a"b\\c\n\u0001\u001f\u007f\u2028<>&');
    expect(codec.stringifyEvent(event)).toBe(
      '{"process_exec":{"process":{"arguments":"a\\"b\\\\c\\n\\u0001\\u001f\u007f\u2028<>&"}}}',
    );
  });

  test('every problem is reported with its path and the document', () => {
    const r = codec.parseEvent(
      '{"process_exec":{"process":{"pid":-1,"binary":5,"start_time":"yesterday"}},"bogus":1,"test":{},"time":"2024-02-30T00:00:00Z"}',
      { document: 'export.log:3', discardUnknown: false },
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues).toEqual([
      {
        document: 'export.log:3',
        path: '/process_exec/process/pid',
        message: 'expected an unsigned 32-bit integer',
      },
      { document: 'export.log:3', path: '/process_exec/process/binary', message: 'expected a string' },
      {
        document: 'export.log:3',
        path: '/process_exec/process/start_time',
        message: 'expected an RFC 3339 timestamp such as "2024-04-14T02:18:14.376304204Z"',
      },
      {
        document: 'export.log:3',
        path: '/bogus',
        message: 'unknown field "bogus" of tetragon.GetEventsResponse',
      },
      { document: 'export.log:3', path: '/test', message: 'oneof "event" already has "process_exec" set' },
      {
        document: 'export.log:3',
        path: '/time',
        message: 'expected an RFC 3339 timestamp such as "2024-04-14T02:18:14.376304204Z"',
      },
    ]);
  });

  test('unknown fields are dropped by default, as tetra does for stdin', () => {
    expect(
      codec.stringifyEvent(
        parse('{"process_exec":{"process":{"pid":1,"future_field":{"x":1}}},"node_name":"n"}'),
      ),
    ).toBe('{"process_exec":{"process":{"pid":1}},"node_name":"n"}');
  });

  test('invalid JSON and non-objects are reported, not thrown', () => {
    const bad = codec.parseEvent('{"process_exec":', { document: 'f:1' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.issues[0]?.message).toMatch(/^invalid JSON/);
    const list = codec.parseEvent('[1,2]');
    expect(list.ok).toBe(false);
  });

  test('bpf_prog_arg, error_arg and sockaddrun_arg read and write with Tetragon’s shapes', () => {
    const line =
      '{"process_lsm":{"function_name":"bpf_prog_load","args":[{"bpf_prog_arg":{"ProgType":"BPF_PROG_TYPE_KPROBE","InsnCnt":21,"ProgName":"probe"}},{"error_arg":{"Message":"failed to read"}},{"sockaddrun_arg":{"family":"AF_UNIX","path":"/run/containerd.sock"}}]},"node_name":"n"}';
    expect(codec.stringifyEvent(parse(line, true))).toBe(line);
    const bytes = codec.encode('tetragon.GetEventsResponse', parse(line));
    expect(codec.stringifyEvent(codec.decode('tetragon.GetEventsResponse', bytes))).toBe(line);
    // error_arg is a message (KprobeError), not a string.
    const r = codec.parseEvent('{"process_kprobe":{"args":[{"error_arg":"failed"}]}}');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.path).toBe('/process_kprobe/args/0/error_arg');
  });

  test('64-bit integers written as JSON numbers beyond 2^53 are read from their digits, as protojson does', () => {
    const write = (line: string): string => codec.stringifyEvent(parse(line));
    expect(write('{"process_kprobe":{"args":[{"size_arg":18446744073709551615}]}}')).toBe(
      '{"process_kprobe":{"args":[{"size_arg":"18446744073709551615"}]}}',
    );
    expect(write('{"process_kprobe":{"args":[{"long_arg":-9223372036854775808},{"size_arg":1.5e19}]}}')).toBe(
      '{"process_kprobe":{"args":[{"long_arg":"-9223372036854775808"},{"size_arg":"15000000000000000000"}]}}',
    );
    // Digits inside strings are text, not numbers.
    expect(write('{"process_exec":{"process":{"arguments":"n=99999999999999999999","pid":7}}}')).toBe(
      '{"process_exec":{"process":{"pid":7,"arguments":"n=99999999999999999999"}}}',
    );
    const problem = (line: string): string | undefined => {
      const r = codec.parseEvent(line);
      return r.ok ? undefined : `${r.issues[0]!.path}: ${r.issues[0]!.message}`;
    };
    expect(problem('{"process_kprobe":{"args":[{"size_arg":18446744073709551616}]}}')).toBe(
      '/process_kprobe/args/0/size_arg: expected an unsigned 64-bit integer',
    );
    expect(problem('{"process_kprobe":{"args":[{"size_arg":12345678901234567890.5}]}}')).toBe(
      '/process_kprobe/args/0/size_arg: expected an unsigned 64-bit integer',
    );
    // A big number where no 64-bit integer belongs is refused as it was.
    expect(problem('{"process_exec":{"process":{"binary":12345678901234567890}}}')).toBe(
      '/process_exec/process/binary: expected a string',
    );
  });

  test('the same key given as snake_case and lowerCamel is an error', () => {
    const r = codec.parseEvent('{"node_name":"a","nodeName":"b"}');
    expect(r.ok).toBe(false);
  });
});

describe('protobuf binary', () => {
  test.each([EXEC_POD, EXIT_STATUS, KPROBE_FILE_PERMISSION, KPROBE_READ])(
    'round trip keeps the event',
    (line) => {
      const event = parse(line);
      const bytes = codec.encode('tetragon.GetEventsResponse', event);
      expect(codec.stringifyEvent(codec.decode('tetragon.GetEventsResponse', bytes))).toBe(line);
    },
  );

  test('field numbers are Tetragon’s: node_name is field 1000, process_exit field 5', () => {
    const bytes = codec.encode('tetragon.GetEventsResponse', { node_name: 'n', process_exit: {} });
    // process_exit: tag (5 << 3 | 2) = 42, length 0; node_name: tag 1000 << 3 | 2 = 8002 as varint c2 3e.
    expect(Buffer.from(bytes).toString('hex')).toBe('2a00c23e016e');
  });

  test('wrappers with zero values survive the wire', () => {
    const event = parse('{"process_exec":{"process":{"uid":0,"pid":0}}}');
    const back = codec.decode<GetEventsResponse>(
      'tetragon.GetEventsResponse',
      codec.encode('tetragon.GetEventsResponse', event),
    );
    expect(back.process_exec?.process).toEqual({ pid: 0, uid: 0 });
  });
});

describe('every field of the API', () => {
  const TIMESTAMP = '2024-04-14T02:18:14.100Z';

  /** A non-zero value of a field's kind, in the canonical JSON form. */
  function sampleScalar(kind: FieldKind, field: FieldTable): unknown {
    switch (kind) {
      case 'string':
        return `s${field.id}`;
      case 'int32':
        return -field.id;
      case 'uint32':
        return field.id;
      case 'int64':
        return '-9007199254740993';
      case 'uint64':
        return '18446744073709551615';
      case 'bool':
        return true;
      case 'double':
        return 1.5;
      case 'bytes':
        return 'AQID';
      case 'enum': {
        const names = [...(field.enumTable?.byName ?? [])].filter(([, n]) => n !== 0);
        return names[0]?.[0];
      }
      case 'timestamp':
        return TIMESTAMP;
      case 'duration':
        return '1.500s';
      case 'fieldMask':
        return 'process.binary,parent';
      default:
        return undefined;
    }
  }

  function sampleValue(field: FieldTable, depth: number): unknown {
    let one: unknown;
    if (field.kind === 'message')
      one = field.message && depth < 4 ? sampleMessage(field.message, depth + 1) : undefined;
    else if (field.kind === 'wrapper') one = field.wrapped ? sampleScalar(field.wrapped, field) : undefined;
    else one = sampleScalar(field.kind, field);
    if (one === undefined) return undefined;
    if (field.map) return { k: String(one) };
    return field.repeated ? [one] : one;
  }

  /** Every field set, the first member of each oneof only. */
  function sampleMessage(
    table: MessageTable,
    depth: number,
    oneofMember?: FieldTable,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of table.fields) {
      if (field.oneof !== undefined) {
        const chosen = oneofMember?.oneof === field.oneof ? oneofMember : table.oneofs.get(field.oneof)?.[0];
        if (chosen !== field) continue;
      }
      const value = sampleValue(field, depth);
      if (value !== undefined && !(Array.isArray(value) && value.length === 0)) out[field.name] = value;
    }
    return out;
  }

  /** One sample per oneof member of every message reachable from the root, each inside a full root. */
  function samples(root: MessageTable): Array<[string, Record<string, unknown>]> {
    const out: Array<[string, Record<string, unknown>]> = [['root', sampleMessage(root, 0)]];
    for (const [oneof, members] of root.oneofs)
      for (const member of members.slice(1))
        out.push([`${oneof}=${member.name}`, sampleMessage(root, 0, member)]);
    return out;
  }

  const kprobeArgs = codec.tables.message('tetragon.KprobeArgument');
  const kprobeCases = [...kprobeArgs.oneofs.get('arg')!].map(
    (member) =>
      [
        member.name,
        { process_kprobe: { function_name: 'f', args: [sampleMessage(kprobeArgs, 0, member)] } },
      ] as const,
  );

  test.each([...samples(codec.events), ...kprobeCases])(
    '%s: JSON and protobuf round trips keep it',
    (_name, event) => {
      const written = codec.stringifyEvent(event as GetEventsResponse);
      const read = parse(written, true);
      expect(read).toEqual(event);
      expect(codec.stringifyEvent(read)).toBe(written);
      const bytes = codec.encode('tetragon.GetEventsResponse', read);
      expect(codec.stringifyEvent(codec.decode('tetragon.GetEventsResponse', bytes))).toBe(written);
    },
  );

  test('every KprobeArgument member is covered (numbers 1 to 33 but 18, which is label)', () => {
    expect(kprobeCases).toHaveLength(32);
    expect(kprobeCases.map(([name]) => name)).toContain('sockaddrun_arg');
  });
});

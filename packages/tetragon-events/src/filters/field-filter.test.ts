import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from '../codec';
import type { GetEventsResponse } from '../model/types.generated';
import * as F from '../../test/fixtures';
import { FieldFilters } from './field-filter';
import { parseFieldFilterList, parseRedactionFilterList } from './parse';
import { Redactor, redactText } from './redaction';
import { compileRe2 } from './regex';

const codec = new TetragonCodec();
const parse = (line: string): GetEventsResponse => {
  const r = codec.parseEvent(line);
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
};

function fieldFilters(text: string): FieldFilters {
  const list = parseFieldFilterList(codec, text);
  if (!list.ok) throw new Error(JSON.stringify(list.issues));
  const compiled = FieldFilters.compile(codec, list.value);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.issues));
  return compiled.value;
}

describe('field filters', () => {
  test('INCLUDE keeps only the listed paths of the inner event', () => {
    const f = fieldFilters('{"fields":"process.binary,process.pod.name,parent.pid","action":"INCLUDE"}');
    expect(codec.stringifyEvent(f.apply(parse(F.EXEC_POD)))).toBe(
      '{"process_exec":{"process":{"binary":"/usr/bin/netserver","pod":{"name":"netperf-server"}},"parent":{"pid":68598}},"node_name":"gke-michi-22038-default-pool-43730fab-l8zr","time":"2022-10-18T03:16:18.273546829Z"}',
    );
  });

  test('an empty mask changes nothing; paths reach into each element of repeated messages', () => {
    const event = parse(F.KPROBE_CONNECT);
    expect(fieldFilters('{"action":"INCLUDE"}').apply(event)).toEqual(event);
    expect(fieldFilters('{"action":"EXCLUDE"}').apply(event)).toEqual(event);
    const kept = fieldFilters('{"fields":"function_name,args.sock_arg.dport","action":"INCLUDE"}').apply(
      event,
    );
    expect(kept.process_kprobe).toEqual({
      function_name: 'tcp_connect',
      args: [{ sock_arg: { dport: 443 } }],
    });
    const pruned = fieldFilters('{"fields":"args.sock_arg.cookie,process","action":"EXCLUDE"}').apply(event);
    expect(pruned.process_kprobe?.args?.[0]?.sock_arg?.cookie).toBeUndefined();
    expect(pruned.process_kprobe?.args?.[0]?.sock_arg?.dport).toBe(443);
    expect(event.process_kprobe?.args?.[0]?.sock_arg?.cookie).toBe('18446623589142521344');
  });

  test('EXCLUDE removes paths; the input event is not modified', () => {
    const event = parse(F.EXEC_HOST);
    const f = fieldFilters('{"fields":"process.exec_id,process.parent_exec_id,parent","action":"EXCLUDE"}');
    const out = f.apply(event);
    expect(out.process_exec?.parent).toBeUndefined();
    expect(out.process_exec?.process?.exec_id).toBeUndefined();
    expect(out.process_exec?.process?.binary).toBe('/usr/bin/curl');
    expect(event.process_exec?.process?.exec_id).toBeDefined();
  });

  test('event_set limits a filter; invert_event_set turns it around', () => {
    const f = fieldFilters('{"event_set":["PROCESS_KPROBE"],"fields":"process","action":"EXCLUDE"}');
    expect(f.apply(parse(F.KPROBE_READ)).process_kprobe?.process).toBeUndefined();
    expect(f.apply(parse(F.EXEC_HOST)).process_exec?.process).toBeDefined();
    const inverted = fieldFilters(
      '{"event_set":["PROCESS_KPROBE"],"invert_event_set":true,"fields":"process","action":"EXCLUDE"}',
    );
    expect(inverted.apply(parse(F.KPROBE_READ)).process_kprobe?.process).toBeDefined();
    expect(inverted.apply(parse(F.EXEC_HOST)).process_exec?.process).toBeUndefined();
  });

  test('exclusion wins over inclusion', () => {
    const f = fieldFilters(
      '{"fields":"process.binary","action":"EXCLUDE"}\n{"fields":"process.binary,process.pid","action":"INCLUDE"}',
    );
    expect(f.apply(parse(F.EXEC_HOST)).process_exec).toEqual({ process: { pid: 5823 } });
  });

  test('lowerCamel paths (protojson FieldMask) are read too', () => {
    const f = fieldFilters('{"fields":"process.execId","action":"INCLUDE"}');
    expect(f.apply(parse(F.EXEC_HOST)).process_exec).toEqual({
      process: { exec_id: 'a2luZC1jb250cm9sLXBsYW5lOjc0MjA0MzI0NTQ1NDM6NTgyMw==' },
    });
  });

  test('unknown paths are reported', () => {
    const list = parseFieldFilterList(codec, '{"fields":"process.binray","action":"INCLUDE"}');
    if (!list.ok) throw new Error();
    const r = FieldFilters.compile(codec, list.value);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues[0]?.message).toBe('unknown field path "process.binray"');
  });
});

describe('redaction', () => {
  test('capture groups are replaced with *****', () => {
    expect(redactText(compileRe2('--password(?:\\s+|=)(\\S*)'), 'mysql -u root --password=hunter2 db')).toBe(
      'mysql -u root --password=***** db',
    );
    expect(redactText(compileRe2('(?i)token:(\\w+)'), 'a TOKEN:abc b token:def')).toBe(
      'a TOKEN:***** b token:*****',
    );
    expect(redactText(compileRe2('no groups'), 'no groups here')).toBe('no groups here');
  });

  test('environment variables are redacted as KEY=VALUE; the first regex that changes one wins', () => {
    const r = Redactor.compile([{ redact: ['(?:SSH_PASSWORD)[\\s=]+(\\S+)', 'PASSWORD=(\\S)'] }]);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    const out = r.value.apply({
      process_exec: {
        process: {
          binary: '/usr/bin/ssh',
          environment_variables: [
            { Key: 'SSH_PASSWORD', Value: 'secret' },
            { Key: 'HOME', Value: '/root' },
          ],
        },
      },
    });
    expect(out.process_exec?.process?.environment_variables).toEqual([
      { Key: 'SSH_PASSWORD', Value: '*****' },
      { Key: 'HOME', Value: '/root' },
    ]);
    // The deprecated match field is ignored, as Tetragon ignores it.
    expect(Redactor.compile([{ match: [{ binary_regex: ['x'] }], redact: ['(y)'] }]).ok).toBe(true);
  });

  test('filters apply to matching binaries, in process, parent and ancestors', () => {
    const list = parseRedactionFilterList(
      codec,
      '{"binary_regex":["curl$","bash$"],"redact":["(https://\\\\S+)"]}',
    );
    if (!list.ok) throw new Error(JSON.stringify(list.issues));
    const r = Redactor.compile(list.value);
    if (!r.ok) throw new Error();
    const out = r.value.apply(parse(F.EXEC_HOST));
    expect(out.process_exec?.process?.arguments).toBe('-s *****');
    const other = r.value.apply(parse(F.EXEC_POD));
    expect(other.process_exec?.process?.arguments).toBe('-D');
  });
});

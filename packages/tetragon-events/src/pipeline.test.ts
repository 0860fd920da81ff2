import { describe, expect, test } from '@jest/globals';
import { TetragonCodec } from './codec';
import { EventPrinter, getEventsRequestFromFlags, splitFlagValues } from './pipeline';

const codec = new TetragonCodec();

describe('tetra getevents flags', () => {
  test('flags form one allow filter; values are comma-separated and repeatable', () => {
    const r = getEventsRequestFromFlags(codec, {
      eventTypes: ['process_exec,PROCESS_EXIT'],
      namespaces: ['default', 'shop'],
      host: true,
      pods: ['^web-'],
      processes: ['curl$'],
      containers: ['^app$'],
      namespaceRegexes: ['^kube-'],
      policyNames: ['connect,file-monitoring'],
      includeFields: ['process.binary', 'process.pod'],
      excludeFields: ['parent'],
    });
    expect(r.ok && r.value).toEqual({
      allow_list: [
        {
          event_set: ['PROCESS_EXEC', 'PROCESS_EXIT'],
          namespace: ['default', 'shop', ''],
          pod_regex: ['^web-'],
          binary_regex: ['curl$'],
          container_name_regex: ['^app$'],
          namespace_regex: ['^kube-'],
          policy_names: ['connect', 'file-monitoring'],
        },
      ],
      field_filters: [
        { fields: 'process.binary,process.pod', action: 'INCLUDE' },
        { fields: 'parent', action: 'EXCLUDE' },
      ],
    });
  });

  test('flags narrow each filter of --allow-list; --deny-list is kept as given', () => {
    const r = getEventsRequestFromFlags(codec, {
      namespaces: ['default'],
      allowList: '{"binary_regex":["a"]}\n{"eventSet":["PROCESS_KPROBE"]}',
      denyList: '{"health_check":true}',
    });
    expect(r.ok && r.value).toEqual({
      allow_list: [
        { binary_regex: ['a'], namespace: ['default'] },
        { event_set: ['PROCESS_KPROBE'], namespace: ['default'] },
      ],
      deny_list: [{ health_check: true }],
    });
  });

  test('no flags, no filters', () => {
    expect(getEventsRequestFromFlags(codec, {})).toEqual({ ok: true, value: {} });
    expect(splitFlagValues([' a, b', '', 'c'])).toEqual(['a', 'b', 'c']);
  });

  test('unknown event types and bad filter lists are reported together', () => {
    const r = getEventsRequestFromFlags(codec, {
      eventTypes: ['PROCESS_EXEC', 'UNDEF', 'nope'],
      allowList: '{"pid":"x"}',
    });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.issues.map((i) => i.document)).toEqual(['--event-types', '--event-types', '--allow-list:1']);
  });
});

describe('event printer', () => {
  test('counts what it prints, filters out and cannot print', () => {
    const printer = new EventPrinter({ codec, format: 'compact' });
    expect(printer.print({ rate_limit_info: { number_of_dropped_process_events: '3' } })).toBe('');
    expect(printer.print({ process_exec: { process: { binary: '/bin/true' } }, node_name: 'n' })).toBe(
      '🚀 process n /bin/true \n',
    );
    expect(printer.stats()).toEqual({ printed: 1, filtered: 0, unprintable: 1 });
    const json = new EventPrinter({ codec, format: 'json' });
    expect(json.print({ rate_limit_info: { number_of_dropped_process_events: '3' } })).toBe(
      '{"rate_limit_info":{"number_of_dropped_process_events":"3"}}\n',
    );
  });
});

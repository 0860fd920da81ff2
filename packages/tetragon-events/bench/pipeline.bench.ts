import type { Bench } from 'tinybench';
import {
  EventLineDecoder,
  EventPrinter,
  TetragonCodec,
  compileEventFilter,
  type GetEventsResponse,
} from '../src';
import { ALL_LINES } from '../test/fixtures';

const LINES = 10_000;

/** An export file's worth of lines: the fixture mix, mostly execs and kprobes as in real exports. */
function exportText(): string {
  const mix = Object.values(ALL_LINES);
  return Array.from({ length: LINES }, (_, i) => mix[i % mix.length]).join('\n') + '\n';
}

export async function register(bench: Bench): Promise<void> {
  const codec = new TetragonCodec();
  const text = exportText();
  const lines = text.split('\n').filter((l) => l !== '');
  const filter = compileEventFilter({
    allow_list: [
      {
        event_set: [
          'PROCESS_EXEC',
          'PROCESS_EXIT',
          'PROCESS_KPROBE',
          'PROCESS_TRACEPOINT',
          'PROCESS_LSM',
          'PROCESS_UPROBE',
        ],
      },
    ],
    deny_list: [{ health_check: true }, { namespace: ['cilium', 'kube-system'] }],
  });
  if (!filter.ok) throw new Error('bad filter');
  // What `ciliary events -o compact` runs: the printer filters, then encodes.
  const printer = new EventPrinter({ codec, format: 'compact', filter: filter.value });
  const events = lines.map((l) => {
    const r = codec.parseEvent(l);
    if (!r.ok) throw new Error('bad line');
    return r.value;
  });
  let sink = 0;

  bench.add(`JSON.parse only (baseline), ${LINES} lines`, () => {
    for (const l of lines) sink += JSON.parse(l) === null ? 1 : 0;
  });
  bench.add(`read ${LINES} lines (parse + validate)`, () => {
    for (const l of lines) sink += codec.parseEvent(l).ok ? 1 : 0;
  });
  bench.add(`read, filter and print compact, ${LINES} lines`, () => {
    const decoder = new EventLineDecoder(codec, {
      document: 'bench',
      onEvent: (event: GetEventsResponse) => {
        sink += printer.print(event).length;
      },
      onProblem: () => undefined,
    });
    decoder.push(text);
    decoder.end();
  });
  bench.add(`write ${LINES} events as JSON`, () => {
    for (const e of events) sink += codec.stringifyEvent(e).length;
  });
  bench.add(`filter ${LINES} events (Helm default lists)`, () => {
    for (const e of events) sink += filter.value.matches(e) ? 1 : 0;
  });
  bench.add(`protobuf encode + decode ${LINES / 10} events`, () => {
    for (let i = 0; i < LINES / 10; i++) {
      const bytes = codec.encode('tetragon.GetEventsResponse', events[i]!);
      sink += codec.decode<GetEventsResponse>('tetragon.GetEventsResponse', bytes).node_name ? 1 : 0;
    }
  });
  if (sink < 0) throw new Error('unreachable');
}

/** One field of a tracepoint record, from tracefs' `format` file. */
export interface TracepointField {
  /** The C declaration, e.g. `const char * filename` or `__data_loc char[] name`. */
  readonly declaration: string;
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
}

export interface TracepointFormat {
  readonly id: number;
  /** Every field in order, the common_* ones first: Tetragon's tracepoint argument index counts them too. */
  readonly fields: readonly TracepointField[];
}

/** Parses `/sys/kernel/tracing/events/<subsystem>/<event>/format`. */
export function parseTracepointFormat(text: string): TracepointFormat {
  const id = Number(/^ID:\s*(\d+)/m.exec(text)?.[1] ?? -1);
  const fields: TracepointField[] = [];
  const re = /field:([^;]+);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const declaration = m[1]!.trim();
    const name = /(\w+)(\[[^\]]*\])?$/.exec(declaration)?.[1] ?? declaration;
    fields.push({ declaration, name, offset: Number(m[2]), size: Number(m[3]), signed: m[4] === '1' });
  }
  return { id, fields };
}

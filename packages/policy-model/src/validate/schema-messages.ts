import type { ErrorObject } from 'ajv';

/** Escapes one JSON-pointer segment (RFC 6901). */
export function pointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = current;
    }
  }
  return row[b.length] ?? 0;
}

/** The known field closest to a misspelt one, when it is close enough to be a likely typo. */
function suggestion(unknown: string, parentSchema: unknown): string | undefined {
  const props = (parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  if (!props) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of Object.keys(props)) {
    const d = distance(unknown.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(unknown.length / 4)) ? best : undefined;
}

function typeName(type: unknown): string {
  const names: Record<string, string> = {
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    object: 'an object',
    array: 'a list',
  };
  if (Array.isArray(type)) return type.map(typeName).join(' or ');
  return names[String(type)] ?? String(type);
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
}

/** Turns one ajv error into a path and a message a person can act on. */
export function describeSchemaError(error: ErrorObject): { path: string; message: string } | undefined {
  const at = error.instancePath;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const close = suggestion(field, error.parentSchema);
      return {
        path: `${at}/${pointerSegment(field)}`,
        message: close ? `unknown field "${field}" (did you mean "${close}"?)` : `unknown field "${field}"`,
      };
    }
    case 'required':
      return {
        path: `${at}/${pointerSegment(String(params['missingProperty']))}`,
        message: 'required field is missing',
      };
    case 'type': {
      if (at.endsWith('/port') && typeof error.data === 'number')
        return { path: at, message: `must be a string: quote the port ("${error.data}")` };
      return { path: at, message: `must be ${typeName(params['type'])}, not ${show(error.data)}` };
    }
    case 'enum':
      return {
        path: at,
        message: `${show(error.data)} is not one of ${(params['allowedValues'] as unknown[]).map(show).join(', ')}`,
      };
    case 'const':
      return { path: at, message: `must be ${show(params['allowedValue'])}, not ${show(error.data)}` };
    case 'pattern':
      if (at.endsWith('/port'))
        return {
          path: at,
          message: `${show(error.data)} is neither a port number nor a port name (IANA service name)`,
        };
      return { path: at, message: `${show(error.data)} does not match ${String(params['pattern'])}` };
    case 'maxItems':
      return {
        path: at,
        message: `has ${(error.data as unknown[]).length} items, at most ${String(params['limit'])} are allowed`,
      };
    case 'minimum':
    case 'maximum':
      return {
        path: at,
        message: `${show(error.data)} must be ${String(params['comparison'])} ${String(params['limit'])}`,
      };
    case 'minLength':
      return { path: at, message: 'must not be empty' };
    case 'maxLength':
      return { path: at, message: `must be at most ${String(params['limit'])} characters long` };
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` };
  }
}

/**
 * The yaml library runs V8 out of memory, a fatal error no catch stops, on flow sequences nested a
 * few thousand deep (`[[[...]]]`, 12 KB of text). YAML read from files, resources or the network is
 * checked with this first. No manifest, policy or config nests anywhere near the bound.
 */
export const MAX_YAML_FLOW_NESTING = 1000;

/** The deepest nesting of flow collections (`[...]`, `{...}`) in YAML text, quoted text and comments skipped. */
export function yamlFlowNesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      if (depth > 0) depth--;
    } else if (c === 0x22 /* " */) {
      i = endOfDoubleQuoted(text, i);
    } else if (c === 0x27 /* ' */ && startsQuote(text, i)) {
      i = endOfSingleQuoted(text, i);
    } else if (c === 0x23 /* # */ && (i === 0 || /\s/.test(text[i - 1]!))) {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol;
    }
  }
  return deepest;
}

/** The problem with YAML text nested past the bound, or undefined when it may be parsed. */
export function yamlNestingProblem(text: string): string | undefined {
  const depth = yamlFlowNesting(text);
  return depth > MAX_YAML_FLOW_NESTING
    ? `flow collections nested ${depth} deep (at most ${MAX_YAML_FLOW_NESTING} are read)`
    : undefined;
}

/** A `'` opens a quoted scalar only where a scalar can start, not inside a word (`don't`). */
function startsQuote(text: string, i: number): boolean {
  return i === 0 || /[\s[{,:-]/.test(text[i - 1]!);
}

function endOfDoubleQuoted(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c /* \ */) i++;
    else if (c === 0x22) return i;
  }
  return text.length;
}

function endOfSingleQuoted(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x27) continue;
    if (text.charCodeAt(i + 1) === 0x27)
      i++; // '' is a quote inside the scalar
    else return i;
  }
  return text.length;
}

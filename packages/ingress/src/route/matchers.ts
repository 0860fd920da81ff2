type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A pattern JavaScript cannot compile matches nothing (Envoy would have rejected it). */
function compile(pattern: string): RegExp | null {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return null;
  }
}

/** RE2 patterns as JavaScript regular expressions, anchored: Envoy's safe_regex matches the whole value. */
export class RegexCache {
  private readonly compiled = new Map<string, RegExp | null>();

  fullMatch(pattern: string, value: string): boolean {
    let regex = this.compiled.get(pattern);
    if (regex === undefined) {
      regex = compile(pattern);
      this.compiled.set(pattern, regex);
    }
    return regex !== null && regex.test(value);
  }
}

/** Envoy's StringMatcher: exact, prefix, suffix, contains or safe_regex, optionally ignoring case. */
export function matchString(matcher: Json, value: string, regexes: RegexCache): boolean {
  const ignoreCase = matcher['ignoreCase'] === true;
  const fold = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  if (typeof matcher['exact'] === 'string') return fold(value) === fold(matcher['exact']);
  if (typeof matcher['prefix'] === 'string') return fold(value).startsWith(fold(matcher['prefix']));
  if (typeof matcher['suffix'] === 'string') return fold(value).endsWith(fold(matcher['suffix']));
  if (typeof matcher['contains'] === 'string') return fold(value).includes(fold(matcher['contains']));
  const regex = isRecord(matcher['safeRegex']) ? matcher['safeRegex']['regex'] : undefined;
  if (typeof regex === 'string') return regexes.fullMatch(regex, value);
  return false;
}

/** The specific part of a HeaderMatcher, given the header's value. */
function headerValueMatches(matcher: Json, value: string, regexes: RegexCache): boolean {
  if (isRecord(matcher['stringMatch'])) return matchString(matcher['stringMatch'], value, regexes);
  if (typeof matcher['exactMatch'] === 'string') return value === matcher['exactMatch'];
  if (typeof matcher['prefixMatch'] === 'string') return value.startsWith(matcher['prefixMatch']);
  if (typeof matcher['suffixMatch'] === 'string') return value.endsWith(matcher['suffixMatch']);
  if (typeof matcher['containsMatch'] === 'string') return value.includes(matcher['containsMatch']);
  if (isRecord(matcher['safeRegexMatch']) && typeof matcher['safeRegexMatch']['regex'] === 'string')
    return regexes.fullMatch(matcher['safeRegexMatch']['regex'], value);
  if (isRecord(matcher['rangeMatch'])) {
    if (!/^-?\d+$/.test(value)) return false;
    const n = Number(value);
    return n >= Number(matcher['rangeMatch']['start'] ?? 0) && n < Number(matcher['rangeMatch']['end'] ?? 0);
  }
  // No specifier: the header only has to be present.
  return true;
}

/**
 * Envoy's HeaderMatcher. A missing header never matches (even inverted),
 * unless it is to be treated as empty; `presentMatch` compares presence.
 * `headers` maps lower-case names (and pseudo-headers such as `:authority`) to values.
 */
export function matchHeader(
  matcher: Json,
  headers: ReadonlyMap<string, string>,
  regexes: RegexCache,
): boolean {
  const name = String(matcher['name'] ?? '').toLowerCase();
  const invert = matcher['invertMatch'] === true;
  let value = headers.get(name);
  if (typeof matcher['presentMatch'] === 'boolean')
    return ((value !== undefined) === matcher['presentMatch']) !== invert;
  if (value === undefined) {
    if (matcher['treatMissingHeaderAsEmpty'] !== true) return false;
    value = '';
  }
  return headerValueMatches(matcher, value, regexes) !== invert;
}

/** Envoy's QueryParameterMatcher: `stringMatch`, or `presentMatch`. */
export function matchQueryParameter(matcher: Json, query: URLSearchParams, regexes: RegexCache): boolean {
  const value = query.get(String(matcher['name'] ?? ''));
  if (matcher['presentMatch'] === true) return value !== null;
  if (value === null) return false;
  return isRecord(matcher['stringMatch']) ? matchString(matcher['stringMatch'], value, regexes) : true;
}

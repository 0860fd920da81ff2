import { isRecord } from '../util';

type Json = Record<string, unknown>;

/** RE2 as Envoy uses it: the whole input must match. */
export function fullMatch(regex: string, input: string, ignoreCase = false): boolean {
  try {
    return new RegExp(`^(?:${regex})$`, ignoreCase ? 'iu' : 'u').test(input);
  } catch {
    return false;
  }
}

/** envoy.type.matcher.v3.StringMatcher. */
export function stringMatches(matcher: Json, value: string): boolean {
  const ignoreCase = matcher['ignoreCase'] === true;
  const norm = (s: string): string => (ignoreCase ? s.toLowerCase() : s);
  const v = norm(value);
  if (typeof matcher['exact'] === 'string') return v === norm(matcher['exact']);
  if (typeof matcher['prefix'] === 'string') return v.startsWith(norm(matcher['prefix']));
  if (typeof matcher['suffix'] === 'string') return v.endsWith(norm(matcher['suffix']));
  if (typeof matcher['contains'] === 'string') return v.includes(norm(matcher['contains']));
  if (isRecord(matcher['safeRegex']))
    return fullMatch(String(matcher['safeRegex']['regex'] ?? ''), value, ignoreCase);
  return false;
}

/** envoy.config.route.v3.HeaderMatcher against a header value (undefined: absent). */
export function headerMatches(matcher: Json, value: string | undefined): boolean {
  const invert = matcher['invertMatch'] === true;
  const present = value !== undefined || matcher['treatMissingHeaderAsEmpty'] === true;
  const actual = value ?? '';
  let result: boolean;
  if (matcher['presentMatch'] !== undefined)
    result = (value !== undefined) === (matcher['presentMatch'] === true);
  else if (!present) result = false;
  else if (typeof matcher['exactMatch'] === 'string') result = actual === matcher['exactMatch'];
  else if (isRecord(matcher['safeRegexMatch']))
    result = fullMatch(String(matcher['safeRegexMatch']['regex'] ?? ''), actual);
  else if (typeof matcher['prefixMatch'] === 'string') result = actual.startsWith(matcher['prefixMatch']);
  else if (typeof matcher['suffixMatch'] === 'string') result = actual.endsWith(matcher['suffixMatch']);
  else if (typeof matcher['containsMatch'] === 'string') result = actual.includes(matcher['containsMatch']);
  else if (isRecord(matcher['stringMatch'])) result = stringMatches(matcher['stringMatch'], actual);
  else result = present; // no matcher: presence
  return invert ? !result : result;
}

/** Envoy's choice among a virtual host's domains for an authority: exact, longest suffix wildcard, longest prefix wildcard, then `*`. */
export function domainRank(domain: string, authority: string): number | undefined {
  const d = domain.toLowerCase();
  const host = authority.toLowerCase();
  if (d === '*') return 0;
  if (d === host) return 3_000_000;
  if (d.startsWith('*')) {
    const suffix = d.slice(1);
    return host.length > suffix.length && host.endsWith(suffix) ? 2_000_000 + suffix.length : undefined;
  }
  if (d.endsWith('*')) {
    const prefix = d.slice(0, -1);
    return host.length > prefix.length && host.startsWith(prefix) ? 1_000_000 + prefix.length : undefined;
  }
  return undefined;
}

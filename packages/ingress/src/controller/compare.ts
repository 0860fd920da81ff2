function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether every field of `wanted` is in `actual` with the same value. Lists
 * must have the same length and match item by item. Fields the API server or
 * users add (a Service's cluster IP and node ports, extra annotations) do not count.
 */
export function isSubset(wanted: unknown, actual: unknown): boolean {
  if (Array.isArray(wanted))
    return (
      Array.isArray(actual) &&
      wanted.length === actual.length &&
      wanted.every((w, i) => isSubset(w, actual[i]))
    );
  if (isObject(wanted))
    return isObject(actual) && Object.entries(wanted).every(([key, value]) => isSubset(value, actual[key]));
  return wanted === actual;
}

function isStored(value: unknown): boolean {
  const metadata = isObject(value) ? value['metadata'] : undefined;
  return isObject(metadata) && (metadata['resourceVersion'] !== undefined || metadata['uid'] !== undefined);
}

/**
 * Whether an object needs no write. Against a stored object (it has a
 * resourceVersion), the desired fields must all be there; between two desired
 * objects, they must be equal.
 */
export function alreadyApplied(desired: unknown, other: unknown): boolean {
  return isSubset(desired, other) && (isStored(other) || isSubset(other, desired));
}

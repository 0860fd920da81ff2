import type { Issue } from '@ciliary/core';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects issues for one document; validators add and never throw. */
export class IssueCollector {
  readonly issues: Issue[] = [];
  constructor(readonly document: string) {}

  add(path: string, message: string): void {
    this.issues.push({ document: this.document, path, message });
  }
}

/** An optional object field: undefined when absent, an issue when present but not an object. */
export function objectField(
  parent: Json,
  key: string,
  path: string,
  issues: IssueCollector,
): Json | undefined {
  const value = parent[key];
  if (value === undefined || value === null) return undefined;
  if (isRecord(value)) return value;
  issues.add(`${path}/${key}`, 'must be an object');
  return undefined;
}

/** An optional list field: [] when absent, an issue when present but not a list. */
export function listField(parent: Json, key: string, path: string, issues: IssueCollector): unknown[] {
  const value = parent[key];
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  issues.add(`${path}/${key}`, 'must be a list');
  return [];
}

/** An optional string field: undefined when absent or empty, an issue when not a string. */
export function stringField(
  parent: Json,
  key: string,
  path: string,
  issues: IssueCollector,
): string | undefined {
  const value = parent[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  issues.add(`${path}/${key}`, 'must be a string');
  return undefined;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const IANA_SERVICE_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A DNS-1123 subdomain, as Kubernetes requires of names and hosts. */
export function isDnsSubdomain(value: string): boolean {
  return (
    value.length <= 253 && value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))
  );
}

export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** Service names are DNS-1035 labels (they must start with a letter). */
export function isServiceName(value: string): boolean {
  return value.length <= 63 && DNS1035_LABEL.test(value);
}

/** A port name (IANA_SVC_NAME): up to 15 lower-case letters, digits and single hyphens, at least one letter. */
export function isPortName(value: string): boolean {
  return (
    value.length <= 15 && IANA_SERVICE_NAME.test(value) && !value.startsWith('-') && !value.endsWith('-')
  );
}

/** Why an Ingress host is not acceptable, or undefined when it is: a DNS name, optionally with a leading `*.` label. */
export function hostProblem(host: string): string | undefined {
  if (IPV4.test(host) || host.includes(':'))
    return `"${host}" must be a DNS name, not an IP address or host:port`;
  const name = host.startsWith('*.') ? host.slice(2) : host;
  if (name.includes('*'))
    return `"${host}" may only have a wildcard as its whole first label ("*.example.com")`;
  if (!isDnsSubdomain(name))
    return `"${host}" is not a valid DNS name (lower-case letters, digits, '-' and '.', labels of at most 63 characters)`;
  return undefined;
}

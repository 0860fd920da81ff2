import type { IngressControllerConfig } from '../config';
import type { Ingress } from '../model/ingress';
import { secretProblem, type ClusterObjects } from './cluster-objects';
import { Names } from './names';
import { ingressRef, type IngressProblem } from './problems';

/** One TLS filter chain: a certificate (by SDS name) and the server names (SNI) it answers. */
export interface TlsChain {
  readonly sdsName: string;
  /** Sorted; empty means any server name (a TLS entry without hosts on an Ingress with host-less rules). */
  readonly serverNames: readonly string[];
  /** The Secret the certificate comes from. */
  readonly source: { readonly namespace: string; readonly name: string };
}

export interface TlsPlan {
  readonly chains: readonly TlsChain[];
  /** Hosts (undefined: every host) served over HTTPS, and whether plain HTTP to them is redirected. */
  readonly httpsHosts: ReadonlyMap<string | undefined, { readonly redirect: boolean }>;
}

/** Whether a certificate host covers a rule host: equal, or a `*.` wildcard matching exactly one label. */
export function tlsCovers(certificateHost: string, ruleHost: string): boolean {
  if (certificateHost === ruleHost) return true;
  if (!certificateHost.startsWith('*.') || ruleHost.startsWith('*.')) return false;
  const dot = ruleHost.indexOf('.');
  return dot > 0 && ruleHost.slice(dot) === certificateHost.slice(1);
}

/**
 * One TLS chain per Secret with the sorted hosts it serves (Cilium 1.13+;
 * 1.12 served only the first certificate and no SNI). A host claimed by two
 * Secrets stays with the first; a missing or incomplete Secret is reported and
 * its hosts are served over plain HTTP only.
 */
export function planTls(
  members: readonly Ingress[],
  objects: ClusterObjects,
  config: IngressControllerConfig,
  problems: IngressProblem[],
): TlsPlan {
  const chains = new Map<string, { chain: TlsChain; names: Set<string>; catchAll: boolean }>();
  const claimed = new Map<string, string>();
  const httpsHosts = new Map<string | undefined, { redirect: boolean }>();
  for (const ingress of members) {
    const redirect = ingress.options.forceHttps ?? config.enforceHttps;
    const ruleHosts = [...new Set(ingress.rules.map((r) => r.host))];
    for (const entry of ingress.tls) {
      if (entry.secretName === undefined) {
        problems.push({
          ingress: ingressRef(ingress),
          reason: 'InvalidSecret',
          message: `${entry.at} names no secretName; its hosts get no HTTPS`,
          fatal: false,
        });
        continue;
      }
      const problem = secretProblem(ingress.namespace, entry.secretName, objects);
      if (problem) {
        problems.push({ ingress: ingressRef(ingress), ...problem, fatal: false });
        continue;
      }
      const sdsName = Names.sdsSecret(config.secretsNamespace, ingress.namespace, entry.secretName);
      let slot = chains.get(sdsName);
      if (!slot) {
        const chain = {
          sdsName,
          serverNames: [],
          source: { namespace: ingress.namespace, name: entry.secretName },
        };
        chains.set(sdsName, (slot = { chain, names: new Set(), catchAll: false }));
      }
      const hosts: Array<string | undefined> = entry.hosts.length > 0 ? [...entry.hosts] : ruleHosts;
      for (const host of hosts) {
        const claimKey = host ?? '*';
        const owner = claimed.get(claimKey);
        if (owner !== undefined && owner !== sdsName) {
          problems.push({
            ingress: ingressRef(ingress),
            reason: 'Conflict',
            message: `TLS host "${claimKey}" already uses certificate ${owner}; ${sdsName} is not used for it`,
            fatal: false,
          });
          continue;
        }
        claimed.set(claimKey, sdsName);
        if (host === undefined) slot.catchAll = true;
        else slot.names.add(host);
        for (const ruleHost of ruleHosts)
          if (host === undefined || (ruleHost !== undefined && tlsCovers(host, ruleHost)))
            httpsHosts.set(ruleHost, { redirect: redirect || (httpsHosts.get(ruleHost)?.redirect ?? false) });
      }
    }
  }
  return {
    chains: [...chains.values()]
      .filter((slot) => slot.catchAll || slot.names.size > 0)
      .map((slot) => ({ ...slot.chain, serverNames: slot.catchAll ? [] : [...slot.names].sort() })),
    httpsHosts,
  };
}

import type { ServiceBackend } from '../model/ingress';

/** Cilium's names for what the controller creates. */
export const Names = {
  /** A dedicated load balancer's Service (and Endpoints), in the Ingress's namespace. */
  dedicatedService: (ingressName: string): string => `cilium-ingress-${ingressName}`,
  /** A dedicated load balancer's CiliumEnvoyConfig, in the Ingress's namespace. */
  dedicatedEnvoyConfig: (namespace: string, ingressName: string): string =>
    `cilium-ingress-${namespace}-${ingressName}`,
  /** A TLS Secret's copy in the secrets namespace. */
  syncedSecret: (namespace: string, secretName: string): string => `${namespace}-${secretName}`,
  /** The SDS name Envoy asks for: the copy's `NAMESPACE/NAME`. */
  sdsSecret: (secretsNamespace: string, namespace: string, secretName: string): string =>
    `${secretsNamespace}/${namespace}-${secretName}`,
  /** The listener inside each CiliumEnvoyConfig (qualified per CEC by the agent). */
  listener: 'listener',
  insecureRoutes: 'listener-insecure',
  secureRoutes: 'listener-secure',
  /**
   * A backend's cluster inside a CiliumEnvoyConfig. Cilium 1.13+ uses ':' so the
   * agent qualifies it per CEC; two Ingresses using one Service then never
   * define the same cluster twice.
   */
  cluster: (b: ServiceBackend): string => `${b.namespace}:${b.service}:${b.port}`,
  /** The EDS assignment a backend's cluster reads: `NAMESPACE/SERVICE:PORT`, shared by all CECs. */
  assignment: (b: ServiceBackend): string => `${b.namespace}/${b.service}:${b.port}`,
} as const;

/** The address Cilium puts in a load balancer Service's Endpoints so the agent does not skip it (cilium#19262). */
export const PLACEHOLDER_ENDPOINT = Object.freeze({ ip: '192.192.192.192', port: 9999 });

export function sameBackend(a: ServiceBackend, b: ServiceBackend): boolean {
  return a.namespace === b.namespace && a.service === b.service && a.port === b.port;
}

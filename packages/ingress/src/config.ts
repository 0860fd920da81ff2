/** How Ingresses get their load balancers: one Service per Ingress, or one for all. */
export type LoadBalancerMode = 'dedicated' | 'shared';

/** The Service types an Ingress may ask for with `ingress.cilium.io/service-type`. */
export type IngressServiceType = 'LoadBalancer' | 'NodePort';

/** The controller's settings; Cilium's operator flags and Helm values where they exist. */
export interface IngressControllerConfig {
  /** The IngressClass this controller serves (`spec.ingressClassName`). Cilium: `cilium`. */
  readonly className: string;
  /** `spec.controller` of IngressClasses served by this controller. */
  readonly controllerName: string;
  /** Mode for Ingresses without the `loadbalancer-mode` annotation (Helm `ingressController.loadbalancerMode`). */
  readonly defaultLoadBalancerMode: LoadBalancerMode;
  /** Service type for Ingresses without the `service-type` annotation, and of the shared Service. */
  readonly defaultServiceType: IngressServiceType;
  /** Redirect plain HTTP to HTTPS (308) for hosts with TLS (`--enforce-ingress-https`). */
  readonly enforceHttps: boolean;
  /** Where TLS Secrets are copied to and served from over SDS (`--ingress-secrets-namespace`). */
  readonly secretsNamespace: string;
  /** Where the shared CiliumEnvoyConfig and Service live: Cilium's own namespace. */
  readonly ciliumNamespace: string;
  /** Name of the shared Service and CiliumEnvoyConfig. */
  readonly sharedName: string;
}

export const DEFAULT_INGRESS_CONFIG: IngressControllerConfig = Object.freeze({
  className: 'cilium',
  controllerName: 'cilium.io/ingress-controller',
  defaultLoadBalancerMode: 'dedicated',
  defaultServiceType: 'LoadBalancer',
  enforceHttps: true,
  secretsNamespace: 'cilium-secrets',
  ciliumNamespace: 'kube-system',
  sharedName: 'cilium-ingress',
});

/** The defaults with some settings replaced. */
export function ingressConfig(overrides: Partial<IngressControllerConfig> = {}): IngressControllerConfig {
  return { ...DEFAULT_INGRESS_CONFIG, ...overrides };
}

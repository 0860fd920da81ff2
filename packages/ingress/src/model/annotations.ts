/**
 * The annotations the controller reads. Cilium 1.13 introduced the
 * `ingress.cilium.io/` prefix and kept `io.cilium.ingress/` (and, for
 * keep-alive, 1.12's `io.cilium/`) as aliases; the first one set wins.
 */
export const Annotations = {
  loadBalancerMode: ['ingress.cilium.io/loadbalancer-mode', 'io.cilium.ingress/loadbalancer-mode'],
  serviceType: ['ingress.cilium.io/service-type', 'io.cilium.ingress/service-type'],
  insecureNodePort: ['ingress.cilium.io/insecure-node-port', 'io.cilium.ingress/insecure-node-port'],
  secureNodePort: ['ingress.cilium.io/secure-node-port', 'io.cilium.ingress/secure-node-port'],
  forceHttps: ['ingress.cilium.io/force-https', 'io.cilium.ingress/force-https'],
  tcpKeepAlive: [
    'ingress.cilium.io/tcp-keep-alive',
    'io.cilium.ingress/tcp-keep-alive',
    'io.cilium/tcp-keep-alive',
  ],
  tcpKeepAliveIdle: [
    'ingress.cilium.io/tcp-keep-alive-idle',
    'io.cilium.ingress/tcp-keep-alive-idle',
    'io.cilium/tcp-keep-alive-idle',
  ],
  tcpKeepAliveProbeInterval: [
    'ingress.cilium.io/tcp-keep-alive-probe-interval',
    'io.cilium.ingress/tcp-keep-alive-probe-interval',
    'io.cilium/tcp-keep-alive-probe-interval',
  ],
  tcpKeepAliveProbeMaxFailures: [
    'ingress.cilium.io/tcp-keep-alive-probe-max-failures',
    'io.cilium.ingress/tcp-keep-alive-probe-max-failures',
    'io.cilium/tcp-keep-alive-probe-max-failures',
  ],
  /** The pre-IngressClass way of choosing a controller; Kubernetes gives it precedence when set. */
  legacyIngressClass: ['kubernetes.io/ingress.class'],
} as const;

/** Marks an IngressClass as the class of Ingresses that name none. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';

/** Label on every object the controller creates, as Cilium labels its Services. */
export const INGRESS_LABEL = 'cilium.io/ingress';

export type AnnotationName = keyof typeof Annotations;

/** The value and the key it came from, for the first alias that is set. */
export function annotation(
  annotations: Readonly<Record<string, string>>,
  name: AnnotationName,
): { key: string; value: string } | undefined {
  for (const key of Annotations[name]) {
    const value = annotations[key];
    if (value !== undefined) return { key, value };
  }
  return undefined;
}

import type { IngressServiceType, LoadBalancerMode } from '../config';
import { annotation, type AnnotationName } from './annotations';
import type { IssueCollector } from './fields';

/** TCP keep-alive on the listener's sockets; Cilium enables it with these defaults. */
export interface KeepAlive {
  readonly enabled: boolean;
  readonly idleSeconds: number;
  readonly probeIntervalSeconds: number;
  readonly probeMaxFailures: number;
}

/** What an Ingress asks for through annotations; undefined means "the controller's default". */
export interface IngressOptions {
  readonly loadBalancerMode: LoadBalancerMode | undefined;
  readonly serviceType: IngressServiceType | undefined;
  readonly insecureNodePort: number | undefined;
  readonly secureNodePort: number | undefined;
  readonly forceHttps: boolean | undefined;
  readonly keepAlive: KeepAlive;
}

export const DEFAULT_KEEP_ALIVE: KeepAlive = Object.freeze({
  enabled: true,
  idleSeconds: 10,
  probeIntervalSeconds: 5,
  probeMaxFailures: 10,
});

type Annotations = Readonly<Record<string, string>>;

function at(key: string): string {
  return `/metadata/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function choice<T extends string>(
  annotations: Annotations,
  name: AnnotationName,
  allowed: readonly T[],
  issues: IssueCollector,
): T | undefined {
  const found = annotation(annotations, name);
  if (!found) return undefined;
  if ((allowed as readonly string[]).includes(found.value)) return found.value as T;
  issues.add(at(found.key), `"${found.value}" is not one of ${allowed.join(', ')}`);
  return undefined;
}

function integer(
  annotations: Annotations,
  name: AnnotationName,
  range: readonly [number, number],
  issues: IssueCollector,
): number | undefined {
  const found = annotation(annotations, name);
  if (!found) return undefined;
  const value = Number(found.value);
  if (/^\d+$/.test(found.value) && value >= range[0] && value <= range[1]) return value;
  issues.add(at(found.key), `"${found.value}" must be a whole number from ${range[0]} to ${range[1]}`);
  return undefined;
}

function flag(annotations: Annotations, name: AnnotationName, issues: IssueCollector): boolean | undefined {
  const value = choice(annotations, name, ['enabled', 'disabled', 'true', 'false'], issues);
  return value === undefined ? undefined : value === 'enabled' || value === 'true';
}

/** Reads the controller's annotations, reporting values it cannot use. */
export function parseIngressOptions(annotations: Annotations, issues: IssueCollector): IngressOptions {
  const seconds: readonly [number, number] = [1, 2 ** 31 - 1];
  return {
    loadBalancerMode: choice(annotations, 'loadBalancerMode', ['dedicated', 'shared'], issues),
    serviceType: choice(annotations, 'serviceType', ['LoadBalancer', 'NodePort'], issues),
    insecureNodePort: integer(annotations, 'insecureNodePort', [1, 65535], issues),
    secureNodePort: integer(annotations, 'secureNodePort', [1, 65535], issues),
    forceHttps: flag(annotations, 'forceHttps', issues),
    keepAlive: {
      enabled: flag(annotations, 'tcpKeepAlive', issues) ?? DEFAULT_KEEP_ALIVE.enabled,
      idleSeconds:
        integer(annotations, 'tcpKeepAliveIdle', seconds, issues) ?? DEFAULT_KEEP_ALIVE.idleSeconds,
      probeIntervalSeconds:
        integer(annotations, 'tcpKeepAliveProbeInterval', seconds, issues) ??
        DEFAULT_KEEP_ALIVE.probeIntervalSeconds,
      probeMaxFailures:
        integer(annotations, 'tcpKeepAliveProbeMaxFailures', seconds, issues) ??
        DEFAULT_KEEP_ALIVE.probeMaxFailures,
    },
  };
}

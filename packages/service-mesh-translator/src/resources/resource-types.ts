import { TypeUrls } from '../envoy/type-urls';
import {
  clusterReferences,
  listenerReferences,
  routeConfigurationReferences,
  type ResourceReference,
} from './references';

/**
 * What the snapshot and the server need to know about one xDS resource type.
 * Types live in a registry keyed by type URL, so a later issue (Cilium's
 * network policy type, NPDS) adds a type without touching the server.
 */
export interface ResourceType {
  readonly typeUrl: string;
  /** Short name for logs and metrics, e.g. `LDS`. */
  readonly shortName: string;
  /**
   * Whether an empty subscription means "everything" and a state-of-the-world
   * response must carry the full set (LDS, CDS); otherwise only named resources are sent.
   */
  readonly wildcard: boolean;
  /** The resource's name, read from its proto3 JSON. */
  nameOf(json: Record<string, unknown>): string;
  /** Other resources it refers to, for the snapshot's consistency check. */
  references(json: Record<string, unknown>): ResourceReference[];
}

export class ResourceTypeRegistry {
  private readonly types: ReadonlyMap<string, ResourceType>;

  constructor(types: readonly ResourceType[]) {
    this.types = new Map(types.map((type) => [type.typeUrl, type]));
  }

  get(typeUrl: string): ResourceType | undefined {
    return this.types.get(typeUrl);
  }

  has(typeUrl: string): boolean {
    return this.types.has(typeUrl);
  }

  typeUrls(): string[] {
    return [...this.types.keys()];
  }

  /** A registry with these types added (or replaced). */
  with(...types: ResourceType[]): ResourceTypeRegistry {
    return new ResourceTypeRegistry([...this.types.values(), ...types]);
  }
}

function stringField(key: string): (json: Record<string, unknown>) => string {
  return (json) => (typeof json[key] === 'string' ? json[key] : '');
}

/** The five resource types a CiliumEnvoyConfig may carry, as Envoy names them. */
export function envoyResourceTypes(): ResourceTypeRegistry {
  return new ResourceTypeRegistry([
    {
      typeUrl: TypeUrls.listener,
      shortName: 'LDS',
      wildcard: true,
      nameOf: stringField('name'),
      references: listenerReferences,
    },
    {
      typeUrl: TypeUrls.routeConfiguration,
      shortName: 'RDS',
      wildcard: false,
      nameOf: stringField('name'),
      references: routeConfigurationReferences,
    },
    {
      typeUrl: TypeUrls.cluster,
      shortName: 'CDS',
      wildcard: true,
      nameOf: stringField('name'),
      references: clusterReferences,
    },
    {
      typeUrl: TypeUrls.clusterLoadAssignment,
      shortName: 'EDS',
      wildcard: false,
      nameOf: stringField('clusterName'),
      references: () => [],
    },
    {
      typeUrl: TypeUrls.secret,
      shortName: 'SDS',
      wildcard: false,
      nameOf: stringField('name'),
      references: () => [],
    },
  ]);
}

import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** What the agent remembers about an endpoint across restarts. */
export interface EndpointRecord {
  readonly key: string;
  readonly endpointId: number;
  readonly namespace: string;
  readonly pod: string;
  readonly ipv4: string;
  readonly identity: number;
}

const MAX_ENDPOINT_ID = 65535;

/**
 * Endpoint IDs and the endpoints the agent made, kept in a JSON file in the
 * state directory so a restarted agent adopts its endpoints (same IDs, same
 * policy maps) instead of recreating them.
 */
export class EndpointRegistry {
  private readonly records = new Map<string, EndpointRecord>();

  constructor(private readonly file: string) {}

  static async load(stateDir: string): Promise<EndpointRegistry> {
    const registry = new EndpointRegistry(path.join(stateDir, 'endpoints.json'));
    const text = await fs.readFile(registry.file, 'utf8').catch(() => undefined);
    if (text) {
      const parsed = JSON.parse(text) as { endpoints?: EndpointRecord[] };
      for (const record of parsed.endpoints ?? []) registry.records.set(record.key, record);
    }
    return registry;
  }

  get(key: string): EndpointRecord | undefined {
    return this.records.get(key);
  }

  all(): EndpointRecord[] {
    return [...this.records.values()].sort((a, b) => a.endpointId - b.endpointId);
  }

  /** The endpoint's ID: the one it had, else the lowest free one. */
  idFor(key: string): number {
    const existing = this.records.get(key);
    if (existing) return existing.endpointId;
    const used = new Set([...this.records.values()].map((r) => r.endpointId));
    for (let id = 1; id <= MAX_ENDPOINT_ID; id++) if (!used.has(id)) return id;
    throw new Error('no free endpoint ID: 65535 endpoints exist');
  }

  async put(record: EndpointRecord): Promise<void> {
    this.records.set(record.key, record);
    await this.save();
  }

  async remove(key: string): Promise<void> {
    if (this.records.delete(key)) await this.save();
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.tmp`;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await fs.writeFile(tmp, JSON.stringify({ endpoints: this.all() }, null, 2));
    await fs.rename(tmp, this.file);
  }
}

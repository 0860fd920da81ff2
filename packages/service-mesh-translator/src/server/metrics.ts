/** Counters of an ADS server, per type URL where it matters. Plain data; apps export them. */
export interface AdsMetricsSnapshot {
  readonly connectedStreams: number;
  readonly streamsTotal: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly responses: Readonly<Record<string, number>>;
  readonly acks: Readonly<Record<string, number>>;
  readonly nacks: Readonly<Record<string, number>>;
  readonly staleNonces: number;
}

type Counter = 'requests' | 'responses' | 'acks' | 'nacks';

export class AdsMetrics {
  connectedStreams = 0;
  streamsTotal = 0;
  staleNonces = 0;
  private readonly counters: Record<Counter, Map<string, number>> = {
    requests: new Map(),
    responses: new Map(),
    acks: new Map(),
    nacks: new Map(),
  };

  count(counter: Counter, typeUrl: string): void {
    const map = this.counters[counter];
    map.set(typeUrl, (map.get(typeUrl) ?? 0) + 1);
  }

  snapshot(): AdsMetricsSnapshot {
    const plain = (counter: Counter): Record<string, number> => Object.fromEntries(this.counters[counter]);
    return {
      connectedStreams: this.connectedStreams,
      streamsTotal: this.streamsTotal,
      requests: plain('requests'),
      responses: plain('responses'),
      acks: plain('acks'),
      nacks: plain('nacks'),
      staleNonces: this.staleNonces,
    };
  }
}

function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The counters in Prometheus' text exposition format. */
export function renderAdsMetrics(metrics: AdsMetricsSnapshot, prefix = 'ciliary_xds'): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: number, type = 'gauge'): void => {
    lines.push(
      `# HELP ${prefix}_${name} ${help}`,
      `# TYPE ${prefix}_${name} ${type}`,
      `${prefix}_${name} ${value}`,
    );
  };
  const perType = (name: string, help: string, values: Readonly<Record<string, number>>): void => {
    lines.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} counter`);
    for (const [typeUrl, value] of Object.entries(values).sort())
      lines.push(`${prefix}_${name}{type_url="${labelValue(typeUrl)}"} ${value}`);
  };
  gauge('connected_streams', 'ADS streams open now.', metrics.connectedStreams);
  gauge('streams_total', 'ADS streams opened since start.', metrics.streamsTotal, 'counter');
  perType('requests_total', 'Discovery requests received.', metrics.requests);
  perType('responses_total', 'Discovery responses sent.', metrics.responses);
  perType('acks_total', 'Responses clients accepted.', metrics.acks);
  perType('nacks_total', 'Responses clients rejected (NACK).', metrics.nacks);
  gauge(
    'stale_nonces_total',
    'Requests ignored because their nonce was not the latest.',
    metrics.staleNonces,
    'counter',
  );
  return `${lines.join('\n')}\n`;
}

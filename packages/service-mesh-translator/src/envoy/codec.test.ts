import { beforeAll, describe, expect, test } from '@jest/globals';
import { EnvoyCodec } from './codec';
import { TypeUrls } from './type-urls';

let codec: EnvoyCodec;
beforeAll(() => {
  codec = EnvoyCodec.load();
});

const cluster = {
  name: 'default/echo:8080',
  type: 'EDS',
  connectTimeout: '5s',
  edsClusterConfig: { serviceName: 'default/echo:8080', edsConfig: { ads: {}, resourceApiVersion: 'V3' } },
  lbPolicy: 'LEAST_REQUEST',
  perConnectionBufferLimitBytes: 32768,
  outlierDetection: { consecutiveLocalOriginFailure: 2, splitExternalLocalOriginErrors: true },
};

const listener = {
  name: 'envoy-lb-listener',
  address: { socketAddress: { address: '0.0.0.0', portValue: 10000 } },
  filterChains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typedConfig: {
            '@type':
              'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
            statPrefix: 'envoy-lb-listener',
            rds: { routeConfigName: 'lb-route', configSource: { ads: {}, resourceApiVersion: 'V3' } },
            httpFilters: [
              {
                name: 'envoy.filters.http.router',
                typedConfig: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                },
              },
            ],
            commonHttpProtocolOptions: { idleTimeout: '0.250s' },
          },
        },
      ],
    },
  ],
};

describe('EnvoyCodec', () => {
  test('round-trips a Cluster through protobuf, keeping proto3 JSON forms', () => {
    const encoded = codec.fromJson(TypeUrls.cluster, cluster);
    if (!encoded.ok) throw new Error(JSON.stringify(encoded.issues));
    expect(codec.toJson(TypeUrls.cluster, encoded.value.bytes)).toEqual(cluster);
  });

  test('round-trips a Listener with nested Any typed configs and a fractional duration', () => {
    const encoded = codec.fromJson(TypeUrls.listener, listener);
    if (!encoded.ok) throw new Error(JSON.stringify(encoded.issues));
    expect(codec.toJson(TypeUrls.listener, encoded.value.bytes)).toEqual(listener);
  });

  test('accepts proto field names as well as JSON names, and wrappers as bare values', () => {
    const encoded = codec.fromJson(TypeUrls.routeConfiguration, {
      name: 'r',
      virtual_hosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            {
              match: { prefix: '/', caseSensitive: false },
              route: {
                weighted_clusters: {
                  clusters: [
                    { name: 'a', weight: 90 },
                    { name: 'b', weight: 10 },
                  ],
                },
              },
            },
          ],
        },
      ],
    });
    if (!encoded.ok) throw new Error(JSON.stringify(encoded.issues));
    const json = codec.toJson(TypeUrls.routeConfiguration, encoded.value.bytes);
    expect(json).toMatchObject({
      virtualHosts: [
        {
          routes: [
            {
              match: { caseSensitive: false },
              route: { weightedClusters: { clusters: [{ weight: 90 }, { weight: 10 }] } },
            },
          ],
        },
      ],
    });
  });

  test('reports unknown fields, bad durations, bad enums and Envoy rule violations with their paths', () => {
    const result = codec.fromJson(
      TypeUrls.cluster,
      { name: '', connectTimeout: 5, lbPolicy: 'FASTEST', colour: 'red', loadAssignment: { endpoints: [] } },
      '/spec/resources/0',
    );
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual(
      expect.arrayContaining([
        { path: '/spec/resources/0/connectTimeout', message: 'must be a duration such as "5s" or "0.250s"' },
        { path: '/spec/resources/0/lbPolicy', message: 'unknown LbPolicy value "FASTEST"' },
        { path: '/spec/resources/0/colour', message: 'unknown field in envoy.config.cluster.v3.Cluster' },
        { path: '/spec/resources/0/name', message: 'value must not be empty' },
        { path: '/spec/resources/0/loadAssignment/clusterName', message: 'value must not be empty' },
      ]),
    );
  });

  test('checks oneof and repeated rules as Envoy does', () => {
    const result = codec.fromJson(TypeUrls.routeConfiguration, {
      name: 'r',
      virtualHosts: [{ name: 'v', domains: [], routes: [{ match: {}, route: { cluster: 'c' } }] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: '/virtualHosts/0/domains', message: 'must have at least 1 item' },
      {
        path: '/virtualHosts/0/routes/0/match',
        message:
          'one of prefix, path, safeRegex, connectMatcher, pathSeparatedPrefix, pathMatchPolicy must be set',
      },
    ]);
  });

  test('rejects a port out of range and an Any of an unknown type', () => {
    const result = codec.fromJson(TypeUrls.listener, {
      name: 'l',
      address: { socketAddress: { address: '0.0.0.0', portValue: 70000 } },
      filterChains: [{ filters: [{ name: 'x', typedConfig: { '@type': 'type.googleapis.com/no.Such' } }] }],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues).toEqual([
      { path: '/address/socketAddress/portValue', message: 'must be at most 65535' },
      {
        path: '/filterChains/0/filters/0/typedConfig/@type',
        message: 'unknown type type.googleapis.com/no.Such',
      },
    ]);
  });
});

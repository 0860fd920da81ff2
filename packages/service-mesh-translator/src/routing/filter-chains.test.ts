import { describe, expect, test } from '@jest/globals';
import { selectFilterChain } from './filter-chains';

const listener = {
  name: 'l',
  filterChains: [
    { name: 'port-80-any', filterChainMatch: { destinationPort: 80 } },
    {
      name: 'port-80-net',
      filterChainMatch: {
        destinationPort: 80,
        prefixRanges: [{ addressPrefix: '10.96.0.0', prefixLen: 16 }],
      },
    },
    {
      name: 'port-80-host',
      filterChainMatch: {
        destinationPort: 80,
        prefixRanges: [{ addressPrefix: '10.96.0.10', prefixLen: 32 }],
      },
    },
    {
      name: 'v6',
      filterChainMatch: { destinationPort: 80, prefixRanges: [{ addressPrefix: 'fd00::', prefixLen: 64 }] },
    },
    { name: 'tls-exact', filterChainMatch: { serverNames: ['shop.example.com'], transportProtocol: 'tls' } },
    { name: 'tls-wildcard', filterChainMatch: { serverNames: ['*.example.com'], transportProtocol: 'tls' } },
    { name: 'raw', filterChainMatch: { transportProtocol: 'raw_buffer' } },
  ],
  defaultFilterChain: { name: 'default' },
};

function chosen(connection: Parameters<typeof selectFilterChain>[1]): unknown {
  const decision = selectFilterChain(listener, connection);
  return decision.chain === 'none' ? 'none' : decision.filterChain['name'];
}

describe('selectFilterChain (Envoy filter chain matching order)', () => {
  test('destination port first, then the longest prefix holding the address', () => {
    expect(chosen({ destinationAddress: '10.96.0.10', destinationPort: 80 })).toBe('port-80-host');
    expect(chosen({ destinationAddress: '10.96.3.4', destinationPort: 80 })).toBe('port-80-net');
    expect(chosen({ destinationAddress: '192.0.2.1', destinationPort: 80 })).toBe('port-80-any');
    expect(chosen({ destinationAddress: 'fd00::5', destinationPort: 80 })).toBe('v6');
  });

  test('a port no chain names falls to the chains without a port: SNI (exact, then wildcard), transport', () => {
    const tls = { destinationAddress: '10.0.0.1', destinationPort: 443, transportProtocol: 'tls' };
    expect(chosen({ ...tls, serverName: 'shop.example.com' })).toBe('tls-exact');
    expect(chosen({ ...tls, serverName: 'api.example.com' })).toBe('tls-wildcard');
    expect(chosen({ destinationAddress: '10.0.0.1', destinationPort: 8080 })).toBe('raw');
  });

  test('the default chain takes what nothing matches; without one the connection is closed', () => {
    const tls = { destinationAddress: '10.0.0.1', destinationPort: 443, transportProtocol: 'tls' };
    expect(chosen({ ...tls, serverName: 'example.org' })).toBe('default');
    const { defaultFilterChain: _unused, ...withoutDefault } = listener;
    expect(selectFilterChain(withoutDefault, { ...tls, serverName: 'example.org' }).chain).toBe('none');
  });
});

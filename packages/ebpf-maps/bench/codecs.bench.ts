import type { Bench } from 'tinybench';
import {
  ctEntry,
  decodeNotification,
  dropNotify,
  ipcacheKey,
  ipcacheKeyFor,
  policyEntry,
  policyKey,
} from '../src';

/** Encode and decode rates of the hottest codecs (each task runs 1,000 operations). */
export async function register(bench: Bench): Promise<void> {
  const key = { sec_label: 1234, dport: 80, protocol: 6, egress: 0 };
  const entry = { proxy_port: 0, deny: 0, packets: 10n, bytes: 1000n };
  const ctBytes = ctEntry.encode({
    rx_packets: 1n,
    rx_bytes: 60n,
    tx_packets: 2n,
    tx_bytes: 120n,
    lifetime: 21600,
    rx_closing: 0,
    tx_closing: 0,
    nat46: 0,
    lb_loopback: 0,
    seen_non_syn: 1,
    node_port: 0,
    proxy_redirect: 0,
    dsr: 0,
    from_l7lb: 0,
    rev_nat_index: 7,
    ifindex: 4,
    tx_flags_seen: 0,
    rx_flags_seen: 0,
    src_sec_id: 1234,
    last_tx_report: 0,
    last_rx_report: 0,
  });
  const ipKey = ipcacheKeyFor('10.1.0.0/16');
  const ipKeyBytes = ipcacheKey.encode(ipKey);
  const drop = new Uint8Array([
    ...dropNotify.encode({
      type: 1,
      subtype: 133,
      source: 42,
      hash: 0,
      len_orig: 98,
      len_cap: 64,
      version: 1,
      src_label: 256,
      dst_label: 257,
      dst_id: 0,
      line: 1234,
      file: 3,
      ext_error: 0,
    }),
    ...new Uint8Array(64),
  ]);
  const times = (fn: () => void) => () => {
    for (let i = 0; i < 1000; i++) fn();
  };
  bench.add(
    'policy_key encode x1000',
    times(() => policyKey.encode(key)),
  );
  bench.add(
    'policy_entry encode x1000',
    times(() => policyEntry.encode(entry)),
  );
  bench.add(
    'ct_entry decode (56 bytes, 21 fields) x1000',
    times(() => ctEntry.decode(ctBytes)),
  );
  bench.add(
    'ipcache_key decode (LPM, address union) x1000',
    times(() => ipcacheKey.decode(ipKeyBytes)),
  );
  bench.add(
    'ipcacheKeyFor("10.1.0.0/16") + encode x1000',
    times(() => ipcacheKey.encode(ipcacheKeyFor('10.1.0.0/16'))),
  );
  bench.add(
    'drop notification decode x1000',
    times(() => decodeNotification(drop)),
  );
}

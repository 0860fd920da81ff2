import { randomBytes } from 'node:crypto';
import koffi from 'koffi';

/**
 * The kernel's clocks as the sensor needs them: BPF stamps events with the
 * boot-time clock (bpf_ktime_get_boot_ns, which counts suspend too), and
 * events carry wall-clock times.
 */
export interface BootClock {
  /** CLOCK_BOOTTIME now, in ns. */
  bootNs(): bigint;
  /** CLOCK_REALTIME now, in ns since the epoch. */
  realtimeNs(): bigint;
}

const CLOCK_REALTIME = 0;
const CLOCK_BOOTTIME = 7;

/** The machine's clocks, read with clock_gettime through libc. */
export function systemBootClock(): BootClock {
  const ns = `sc${randomBytes(4).toString('hex')}`;
  const libc = koffi.load('libc.so.6');
  koffi.struct(`${ns}_timespec`, { tv_sec: 'int64_t', tv_nsec: 'int64_t' });
  const clockGettime = libc.func(`int clock_gettime(int clk, _Out_ ${ns}_timespec *ts)`);
  const read = (clock: number): bigint => {
    const ts = { tv_sec: 0, tv_nsec: 0 };
    if (clockGettime(clock, ts) !== 0) throw new Error(`clock_gettime(${clock}) failed`);
    return BigInt(ts.tv_sec) * 1_000_000_000n + BigInt(ts.tv_nsec);
  };
  return { bootNs: () => read(CLOCK_BOOTTIME), realtimeNs: () => read(CLOCK_REALTIME) };
}

/**
 * Converts boot-time stamps to wall-clock ns. The offset is sampled once
 * (between two realtime reads, for precision) and can be refreshed: a clock
 * step (NTP) moves wall time, never boot time.
 */
export class KernelTime {
  private offset = 0n;

  constructor(private readonly clock: BootClock) {
    this.refresh();
  }

  refresh(): void {
    const before = this.clock.realtimeNs();
    const boot = this.clock.bootNs();
    const after = this.clock.realtimeNs();
    this.offset = (before + after) / 2n - boot;
  }

  /** Wall-clock ns of a boot-time stamp. */
  wallNs(bootNs: bigint): bigint {
    return bootNs + this.offset;
  }
}

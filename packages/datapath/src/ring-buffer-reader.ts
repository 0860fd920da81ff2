import koffi from 'koffi';
import { CiliaryError } from '@ciliary/core';
import { errnoName } from './errors';
import { libbpf, type Libbpf } from './libbpf';

/** Opening or reading a pinned BPF ring buffer failed. */
export class RingBufferError extends CiliaryError {
  override readonly name = 'RingBufferError';
  constructor(
    message: string,
    readonly pinPath: string,
    readonly errno: number,
  ) {
    super(message);
  }
}

/**
 * Reads records from a pinned BPF ring buffer as they arrive, driven by the
 * buffer's epoll fd on Node's event loop (no polling interval). Each record
 * is copied out before the callback returns, so handlers may keep it.
 */
export class RingBufferReader {
  private rb: unknown;
  private fd = -1;
  private callback: bigint | undefined;
  private poller: ReturnType<typeof koffi.node.poll> | undefined;
  private closed = false;

  constructor(
    readonly pinPath: string,
    private readonly onRecord: (record: Buffer) => void,
    private readonly lib: Libbpf = libbpf(),
  ) {}

  open(): void {
    this.fd = this.lib.objGet(this.pinPath);
    if (this.fd < 0) {
      const errno = this.lib.errno();
      throw new RingBufferError(
        `cannot open ring buffer ${this.pinPath}: ${errnoName(errno)}`,
        this.pinPath,
        errno,
      );
    }
    this.callback = koffi.register((_ctx: unknown, data: unknown, size: number) => {
      this.onRecord(Buffer.from(koffi.view(data, size)).subarray(0, size).slice());
      return 0;
    }, koffi.pointer(this.lib.sampleCallback));
    this.rb = this.lib.ringBufferNew(this.fd, this.callback, null, null);
    if (!this.rb) {
      const errno = this.lib.errno();
      this.close();
      throw new RingBufferError(
        `cannot read ring buffer ${this.pinPath}: ${errnoName(errno)}`,
        this.pinPath,
        errno,
      );
    }
    this.poller = koffi.node.poll(this.lib.ringBufferEpollFd(this.rb), { readable: true }, () =>
      this.drain(),
    );
    this.poller.unref();
  }

  /** Consumes every record available now. */
  drain(): number {
    if (this.closed || !this.rb) return 0;
    return this.lib.ringBufferConsume(this.rb);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller?.close();
    // Never free from inside the sample callback: libbpf would be mid-consume.
    if (this.rb) this.lib.ringBufferFree(this.rb);
    if (this.callback !== undefined) koffi.unregister(this.callback);
    if (this.fd >= 0) this.lib.close(this.fd);
    this.rb = undefined;
  }
}

/** A decimal uint64 in hex; numbers below 2^53 skip BigInt, which costs more than the rest of a line. */
export function decimalToHex(value: string | undefined): string {
  if (value === undefined) return '0';
  return value.length < 16 ? Number(value).toString(16) : BigInt(value).toString(16);
}

const HEX_CACHE_ENTRIES = 4096;

/** decimalToHex with the last few thousand large values remembered (stack addresses repeat). */
export class HexCache {
  private readonly known = new Map<string, string>();

  /** Values remembered now. */
  get size(): number {
    return this.known.size;
  }

  of(value: string | undefined): string {
    if (value === undefined || value.length < 16) return decimalToHex(value);
    let hex = this.known.get(value);
    if (hex === undefined) {
      hex = decimalToHex(value);
      // Dropping everything at the bound keeps the cost per value constant and memory bounded.
      if (this.known.size >= HEX_CACHE_ENTRIES) this.known.clear();
      this.known.set(value, hex);
    }
    return hex;
  }
}

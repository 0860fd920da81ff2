/** Tetragon's --export-rate-limit value: an integer, events per minute, negative for no limit. */
export function exportRateLimit(text: string, flag: string): number {
  if (!/^-?\d+$/.test(text.trim()))
    throw new Error(`${flag}: "${text}" is not an integer (events per minute, -1 for no limit)`);
  return Number(text);
}

/** Polling delays: 1 s, 2 s, 4 s, 8 s, then every 10 s for as long as the order is pending. */
export function pollDelayMs(attempt: number, baseMs = 1000, capMs = 10_000): number {
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt))
}

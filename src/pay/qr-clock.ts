/** How far the server's clock is ahead of ours, from a response's `serverTime` and when we received it. */
export function clockOffsetMs(serverTimeIso: string, receivedAtMs: number): number {
  const server = Date.parse(serverTimeIso)
  return Number.isFinite(server) ? server - receivedAtMs : 0
}

/** Milliseconds left until `expiresAtIso` on the server's clock; never negative. */
export function remainingMs(expiresAtIso: string, offsetMs: number, nowMs: number): number {
  const expires = Date.parse(expiresAtIso)
  if (!Number.isFinite(expires))
    return 0
  return Math.max(0, expires - (nowMs + offsetMs))
}

/** "4:59" / "59:07" / "1:59:07" */
export function formatCountdown(ms: number): string {
  const total = Math.ceil(ms / 1000)
  const h = Math.floor(total / 3600)
  const m = Math.floor((total % 3600) / 60)
  const s = String(total % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`
}

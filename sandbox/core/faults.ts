/** Fault injection settings: defaults, validated partial updates, and the per-call decisions. */
import type { SandboxFaults } from '../types'

type ApiOp = SandboxFaults['apiOps'][number]

const API_OPS: readonly ApiOp[] = ['create', 'query', 'close', 'oauth', 'refund']
const RATE_KEYS = ['dropNotifyRate', 'duplicateNotifyRate', 'delayNotifyRate', 'corruptNotifyRate', 'failApiRate', 'refundFailRate'] as const
const MS_KEYS = ['delayNotifyMs', 'slowApiMs', 'refundPendingMs'] as const
const MAX_MS = 10 * 60_000

/** No faults at all. */
export function defaultFaults(): SandboxFaults {
  return {
    dropNotifyRate: 0,
    duplicateNotifyRate: 0,
    delayNotifyRate: 0,
    delayNotifyMs: 0,
    corruptNotifyRate: 0,
    failApiRate: 0,
    slowApiMs: 0,
    apiOps: [],
    refundFailRate: 0,
    refundPendingMs: 0,
  }
}

/**
 * Validates a partial update and applies it to `faults` in place (all or nothing).
 * Returns the list of problems; empty when applied.
 */
export function applyFaultPatch(faults: SandboxFaults, patch: unknown): string[] {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    return ['body must be a JSON object']
  const errors: string[] = []
  const next: Partial<SandboxFaults> = {}
  for (const [key, value] of Object.entries(patch)) {
    if ((RATE_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1)
        errors.push(`${key} must be a number between 0 and 1`)
      else next[key as typeof RATE_KEYS[number]] = value
    }
    else if ((MS_KEYS as readonly string[]).includes(key)) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_MS)
        errors.push(`${key} must be an integer number of ms between 0 and ${MAX_MS}`)
      else next[key as typeof MS_KEYS[number]] = value
    }
    else if (key === 'apiOps') {
      if (!Array.isArray(value) || !value.every(v => (API_OPS as readonly unknown[]).includes(v)))
        errors.push(`apiOps must be an array of ${API_OPS.join(', ')}`)
      else next.apiOps = [...new Set(value as ApiOp[])]
    }
    else {
      errors.push(`unknown fault ${key}`)
    }
  }
  if (errors.length === 0)
    Object.assign(faults, next)
  return errors
}

/** Resets `faults` in place to the defaults. */
export function resetFaults(faults: SandboxFaults): void {
  Object.assign(faults, defaultFaults())
}

/** True when `rate` fires for this draw. */
export function chance(rate: number, random: () => number): boolean {
  return rate > 0 && random() < rate
}

/** Whether API faults apply to `op` (an empty apiOps list means every operation). */
export function appliesTo(faults: SandboxFaults, op: ApiOp): boolean {
  return faults.apiOps.length === 0 || faults.apiOps.includes(op)
}

/**
 * Runs the API faults for one call: waits `slowApiMs` when it applies, then says whether to fail the call.
 */
export async function apiFault(faults: SandboxFaults, op: ApiOp, random: () => number): Promise<'fail' | null> {
  if (!appliesTo(faults, op))
    return null
  if (faults.slowApiMs > 0)
    await new Promise(resolve => setTimeout(resolve, faults.slowApiMs))
  return chance(faults.failApiRate, random) ? 'fail' : null
}

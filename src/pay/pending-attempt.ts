import type { PayMethod } from '../../contract/methods'

/** What the cashier remembers across a redirect to a wallet page (sessionStorage, per tab). */
export interface PendingAttempt {
  orderNo: string
  method: PayMethod
  attemptId: string
  /** ms since epoch */
  startedAt: number
}

const KEY = 'uc.pendingAttempt'

export function savePendingAttempt(storage: Pick<Storage, 'setItem'>, attempt: PendingAttempt): void {
  storage.setItem(KEY, JSON.stringify(attempt))
}

export function readPendingAttempt(storage: Pick<Storage, 'getItem'>, orderNo: string): PendingAttempt | undefined {
  try {
    const parsed = JSON.parse(storage.getItem(KEY) ?? 'null') as PendingAttempt | null
    return parsed?.orderNo === orderNo ? parsed : undefined
  }
  catch {
    return undefined
  }
}

export function clearPendingAttempt(storage: Pick<Storage, 'removeItem'>): void {
  storage.removeItem(KEY)
}

import type { PayMethod } from '../../contract/api'
import type { Db } from '../db'
import type { OrderRow } from '../orders/views'
import type { Providers } from '../providers/registry'
import type { ProviderAdapter } from '../providers/types'
import { HttpError } from '../http/errors'

/**
 * The order, if it can be paid now with `method`, and the provider that serves the method; otherwise the error the
 * cashier shows (404 unknown, 409 paid or not payable, 410 expired, 422 method not allowed here).
 */
export async function loadPayable(deps: { db: Db, providers: Providers, expire: (orderNo: string) => Promise<void> }, orderNo: string, method: PayMethod): Promise<{ order: OrderRow, adapter: ProviderAdapter }> {
  const order = await deps.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
  if (!order)
    throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
  if (order.status === 'paid' || order.status === 'refunded')
    throw new HttpError(409, 'order_already_paid', 'this order is already paid')
  if (order.status === 'closed' && new Date(order.expires_at).getTime() <= Date.now())
    throw new HttpError(410, 'order_expired', 'this order has expired')
  if (order.status !== 'pending')
    throw new HttpError(409, 'order_not_payable', `this order is ${order.status} and can no longer be paid`)
  if (new Date(order.expires_at).getTime() <= Date.now()) {
    // Closing asks the provider first: a payment found there (a late notification) makes the order paid instead.
    await deps.expire(order.order_no)
    const after = await deps.db.selectFrom('orders').select('status').where('order_no', '=', order.order_no).executeTakeFirst()
    if (after?.status === 'paid' || after?.status === 'refunded')
      throw new HttpError(409, 'order_already_paid', 'this order is already paid')
    throw new HttpError(410, 'order_expired', 'this order has expired')
  }
  if (!order.methods.includes(method))
    throw new HttpError(422, 'method_not_allowed', `method ${method} is not allowed for this order (allowed: ${order.methods.join(', ')})`)
  const adapter = deps.providers.forMethod(method)
  if (!adapter)
    throw new HttpError(422, 'method_not_allowed', `${method} is not configured on this server`)
  return { order, adapter }
}

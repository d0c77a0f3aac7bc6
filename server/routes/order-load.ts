import type { OrderRow } from '../orders/views'
import type { Services } from '../services'
import { HttpError } from '../http/errors'

/** An order row by its order number, or 404 `order_not_found`. */
export async function loadOrder(s: Services, orderNo: string): Promise<OrderRow> {
  const row = await s.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
  if (!row)
    throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
  return row
}

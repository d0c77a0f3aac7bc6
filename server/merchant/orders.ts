/** Orders as the shop creates and finds them through the merchant API. */
import type { OrderStatus, PayMethod } from '../../contract/api'
import type { CreateOrderRequest, MerchantOrder, OrderList } from '../../contract/merchant'
import type { ServerConfig } from '../config'
import type { Db } from '../db'
import type { Providers } from '../providers/registry'
import { Buffer } from 'node:buffer'
import { sql } from 'kysely'
import { HttpError } from '../http/errors'
import { newOrderNo } from '../orders/ids'
import { requestHash } from '../payments/idempotency'
import { isAllowedReturnUrl } from '../payments/urls'
import { toMerchantOrders } from './views'

const DEFAULT_EXPIRY_SECONDS = 30 * 60

export interface MerchantOrderDeps { db: Db, config: ServerConfig, providers: Providers }

/**
 * Creates an order for the shop. `merchantOrderId` is unique: the same id with the same request answers the order
 * made first (`created: false`), with another request 409 merchant_order_conflict.
 */
export async function createMerchantOrder(deps: MerchantOrderDeps, req: CreateOrderRequest): Promise<{ order: MerchantOrder, created: boolean }> {
  const { db, config } = deps
  const configured = deps.providers.methods()
  const methods: PayMethod[] = req.methods ?? configured
  const missing = methods.filter(m => !configured.includes(m))
  if (missing.length > 0)
    throw new HttpError(422, 'method_not_allowed', `not configured on this server: ${missing.join(', ')} (configured: ${configured.join(', ') || 'none'})`)
  if (req.returnUrl !== undefined && !isAllowedReturnUrl(req.returnUrl, config.publicUrl, config.returnUrlHosts))
    throw new HttpError(400, 'validation_failed', 'returnUrl: must be an absolute http(s) URL on this server\'s host or one of RETURN_URL_HOSTS')
  const hash = requestHash({ ...req, currency: 'CNY', methods: [...new Set(methods)].sort() })
  const existing = await db.selectFrom('orders').selectAll().where('merchant_order_id', '=', req.merchantOrderId).executeTakeFirst()
  if (existing) {
    if (existing.create_hash !== hash)
      throw new HttpError(409, 'merchant_order_conflict', `merchantOrderId ${req.merchantOrderId} already names order ${existing.order_no}, created with another request`)
    return { order: (await toMerchantOrders(db, [existing], config.publicUrl))[0]!, created: false }
  }
  const inserted = await db.insertInto('orders').values({
    order_no: newOrderNo(),
    subject: req.subject,
    merchant_name: config.merchantName,
    amount_fen: req.amountFen,
    currency: 'CNY',
    status: 'pending',
    methods: JSON.stringify([...new Set(methods)]),
    return_url: req.returnUrl ?? null,
    expires_at: new Date(Date.now() + (req.expiresInSeconds ?? DEFAULT_EXPIRY_SECONDS) * 1000),
    merchant_order_id: req.merchantOrderId,
    create_hash: hash,
    description: req.description ?? null,
    metadata: req.metadata ? JSON.stringify(req.metadata) : null,
  }).onConflict(oc => oc.column('merchant_order_id').where('merchant_order_id', 'is not', null).doNothing()).returningAll().executeTakeFirst()
  if (!inserted)
    return createMerchantOrder(deps, req) // another request with this merchantOrderId won the race: answer as above
  return { order: (await toMerchantOrders(db, [inserted], config.publicUrl))[0]!, created: true }
}

export async function getMerchantOrder(deps: MerchantOrderDeps, orderNo: string): Promise<MerchantOrder> {
  const row = await deps.db.selectFrom('orders').selectAll().where('order_no', '=', orderNo).executeTakeFirst()
  if (!row)
    throw new HttpError(404, 'order_not_found', `order ${orderNo} does not exist`)
  return (await toMerchantOrders(deps.db, [row], deps.config.publicUrl))[0]!
}

/** Cursors carry milliseconds; the column has microseconds: compare at the cursor's precision. */
const createdMs = sql<Date>`date_trunc('milliseconds', created_at)`

function encodeCursor(createdAt: Date, orderNo: string): string {
  return Buffer.from(`${createdAt.toISOString()}|${orderNo}`).toString('base64url')
}

function decodeCursor(cursor: string): { createdAt: Date, orderNo: string } {
  const [at, orderNo] = Buffer.from(cursor, 'base64url').toString().split('|')
  const createdAt = new Date(at ?? '')
  if (!orderNo || Number.isNaN(createdAt.getTime()))
    throw new HttpError(400, 'validation_failed', 'cursor: not a cursor this API gave out')
  return { createdAt, orderNo }
}

/**
 * Newest first; `cursor` continues after the last order of the previous page. `search` (the console's) finds an order
 * by its number or the shop's order id, or orders whose subject contains it.
 */
export async function listMerchantOrders(deps: MerchantOrderDeps, q: { status?: OrderStatus, createdFrom?: string, createdTo?: string, search?: string, cursor?: string, limit?: number }): Promise<OrderList> {
  const limit = q.limit ?? 20
  let query = deps.db.selectFrom('orders').selectAll()
  const search = q.search?.trim()
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, ch => `\\${ch}`)}%`
    query = query.where(eb => eb.or([eb('order_no', '=', search), eb('merchant_order_id', '=', search), eb('subject', 'ilike', like)]))
  }
  if (q.status)
    query = query.where('status', '=', q.status)
  if (q.createdFrom)
    query = query.where('created_at', '>=', new Date(q.createdFrom))
  if (q.createdTo)
    query = query.where('created_at', '<', new Date(q.createdTo))
  if (q.cursor) {
    const c = decodeCursor(q.cursor)
    query = query.where(eb => eb.or([eb(createdMs, '<', c.createdAt), eb.and([eb(createdMs, '=', c.createdAt), eb('order_no', '<', c.orderNo)])]))
  }
  const rows = await query.orderBy(createdMs, 'desc').orderBy('order_no', 'desc').limit(limit + 1).execute()
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: await toMerchantOrders(deps.db, page, deps.config.publicUrl),
    ...(rows.length > limit && last ? { nextCursor: encodeCursor(new Date(last.created_at), last.order_no) } : {}),
  }
}

/**
 * The merchant console at /console: log in (CONSOLE_PASSWORD or an API key), list and filter orders, look at one
 * order with its attempts, refunds and webhook deliveries, refund (in full or in part) and close it after a
 * confirmation page. Plain HTML forms; every POST checks its origin and the session's CSRF token.
 */
import type { Context } from 'hono'
import type { OrderStatus } from '../../contract/api'
import type { MerchantOrder } from '../../contract/merchant'
import type { Services } from '../services'
import type { Html } from './html'
import type { ConsoleLang, Translate } from './i18n'
import type { OrderFilters, View } from './pages'
import type { ConsoleSession } from './session'
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { getCookie, setCookie } from 'hono/cookie'
import { formatFen, yuanStringToFen } from '../../contract/money'
import { HttpError } from '../http/errors'
import { rateLimit } from '../http/rate-limit'
import { clientIp } from '../http/request'
import { getMerchantOrder, listMerchantOrders } from '../merchant/orders'
import { closeFromConsole, refundFromConsole } from './actions'
import { CSRF_FIELD, csrfTokenMatches, sameOrigin } from './csrf'
import { langFromAcceptLanguage, parseLang, translator } from './i18n'
import { closeConfirmPage, CONSOLE_CSP, errorPage, loginPage, orderPage, orderPath, ordersPage, refundConfirmPage, remainingFen } from './pages'
import { checkLoginSecret, clearConsoleCookie, CONSOLE_PATH, createConsoleSession, destroyConsoleSession, readConsoleSession, writeConsoleCookie } from './session'

/** Login attempts allowed per client IP in LOGIN_WINDOW_MS (successful ones count too). */
export const LOGIN_ATTEMPTS = 10
export const LOGIN_WINDOW_MS = 10 * 60_000
const LANG_COOKIE = 'uc_console_lang'
const MAX_FORM_BYTES = 16 * 1024
const STATUSES: readonly OrderStatus[] = ['pending', 'paid', 'closed', 'failed', 'refunded']
const ORDER_NO = /^[\w-]{1,64}$/
const FORM_KEY = /^[\w-]{16,64}$/
const DATE = /^\d{4}-\d{2}-\d{2}$/

interface ConsoleEnv { Variables: { lang: ConsoleLang } }
type C = Context<ConsoleEnv>

function html(c: C, page: Html, status: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502 = 200): Response {
  return c.html(page.value, status)
}

/** Only a path inside the console, so a login link cannot send the merchant elsewhere. */
function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || !next.startsWith('/console') || next.length > 512)
    return undefined
  const u = new URL(next, 'http://console.invalid')
  return u.origin === 'http://console.invalid' && (u.pathname === CONSOLE_PATH || u.pathname.startsWith(`${CONSOLE_PATH}/`)) ? `${u.pathname}${u.search}` : undefined
}

/** A `YYYY-MM-DD` day in Beijing time as an instant: its start, or (`end`) the start of the next day. */
function beijingDay(day: string, end: boolean): string | undefined {
  if (!DATE.test(day))
    return undefined
  const at = new Date(`${day}T00:00:00+08:00`)
  if (Number.isNaN(at.getTime()))
    return undefined
  return new Date(at.getTime() + (end ? 86_400_000 : 0)).toISOString()
}

function str(form: Record<string, unknown>, name: string): string {
  const v = form[name]
  return typeof v === 'string' ? v : ''
}

export function consoleRoutes(s: Services): Hono<ConsoleEnv> {
  const app = new Hono<ConsoleEnv>()
  const secure = s.config.publicUrl.startsWith('https:')
  const loginLimiter = rateLimit([{ name: 'console login per IP', limit: LOGIN_ATTEMPTS, windowMs: LOGIN_WINDOW_MS, key: c => clientIp(c, s.config) }])

  /** The page a form's answer stands for (its language links must not repeat the POST as a GET of the form's URL). */
  const pageUrl = (c: C): URL => {
    const u = new URL(c.req.url)
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      u.search = ''
      u.pathname = u.pathname.replace(/\/(?:refund|close|logout)$/, '') || CONSOLE_PATH
    }
    return u
  }

  const view = (c: C, session?: ConsoleSession): View => ({
    t: translator(c.get('lang')),
    lang: c.get('lang'),
    url: pageUrl(c),
    merchantName: s.config.merchantName,
    ...(session ? { csrf: session.csrfToken } : {}),
  })

  /** The message for a refused action: the merchant API's codes in the merchant's language, never a stack. */
  const failure = (c: C, e: unknown): { message: string, status: 400 | 404 | 409 | 500 | 502 } => {
    const t: Translate = translator(c.get('lang'))
    if (!(e instanceof HttpError)) {
      s.log.error({ err: { message: (e as Error).message, stack: (e as Error).stack }, path: c.req.path }, 'console action failed')
      return { message: t('error.internal'), status: 500 }
    }
    const status = e.status === 404 || e.status === 409 || e.status === 502 ? e.status : e.status >= 500 ? 500 : 400
    switch (e.code) {
      case 'refund_exceeds_remaining': {
        const left = typeof e.extra.remainingFen === 'number' ? e.extra.remainingFen : undefined
        const remaining = left === undefined ? '' : c.get('lang') === 'en' ? ` (${formatFen(left, 'en')})` : `（${formatFen(left)}）`
        return { message: t('error.refund_exceeds_remaining', { remaining }), status }
      }
      case 'order_not_paid':
      case 'order_fully_refunded':
      case 'order_not_closable':
      case 'provider_unavailable':
      case 'idempotency_conflict':
        return { message: t(`error.${e.code}`), status }
      case 'order_not_found':
        return { message: t('error.notFound'), status: 404 }
      default:
        return { message: t('error.other', { message: e.message }), status }
    }
  }

  app.use('/console/*', async (c, next) => {
    const asked = parseLang(c.req.query('lang'))
    if (asked)
      setCookie(c, LANG_COOKIE, asked, { path: CONSOLE_PATH, sameSite: 'Lax', secure, maxAge: 365 * 86_400 })
    c.set('lang', asked ?? parseLang(getCookie(c, LANG_COOKIE)) ?? langFromAcceptLanguage(c.req.header('accept-language')))
    await next()
    c.header('Cache-Control', 'no-store')
    c.header('Content-Security-Policy', CONSOLE_CSP)
    c.header('X-Frame-Options', 'DENY')
    c.header('Referrer-Policy', 'same-origin')
    c.header('Vary', 'Accept-Language, Cookie')
  })
  app.use('/console/*', bodyLimit({
    maxSize: MAX_FORM_BYTES,
    onError: c => html(c as C, errorPage(view(c as C), { message: translator((c as C).get('lang'))('error.tooLarge') }), 413),
  }))

  /** GET pages behind the login: without a session, to the login page and back here afterwards. */
  const page = (handler: (c: C, session: ConsoleSession) => Promise<Response>) => async (c: C): Promise<Response> => {
    const session = await readConsoleSession(c, s.db, s.config)
    if (!session) {
      const here = new URL(c.req.url)
      const next = safeNext(`${here.pathname}${here.search}`)
      return c.redirect(`/console/login${next && next !== CONSOLE_PATH ? `?next=${encodeURIComponent(next)}` : ''}`, 303)
    }
    try {
      return await handler(c, session)
    }
    catch (e) {
      const f = failure(c, e)
      return html(c, errorPage(view(c, session), { message: f.message }), f.status)
    }
  }

  /** POSTs behind the login: same origin, a session, its CSRF token; only then the form is read further. */
  const action = (handler: (c: C, session: ConsoleSession, form: Record<string, unknown>) => Promise<Response>) => async (c: C): Promise<Response> => {
    const t = translator(c.get('lang'))
    if (!sameOrigin(c, s.config.publicUrl))
      return html(c, errorPage(view(c), { message: t('error.csrf') }), 403)
    const session = await readConsoleSession(c, s.db, s.config)
    if (!session)
      return c.redirect('/console/login?expired=1', 303)
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    if (!csrfTokenMatches(session.csrfToken, form[CSRF_FIELD])) {
      s.log.warn({ path: c.req.path, ip: clientIp(c, s.config) }, 'console form refused: CSRF token missing or wrong')
      return html(c, errorPage(view(c, session), { message: t('error.csrf') }), 403)
    }
    try {
      return await handler(c, session, form)
    }
    catch (e) {
      const f = failure(c, e)
      return html(c, errorPage(view(c, session), { message: f.message }), f.status)
    }
  }

  const deps = { db: s.db, config: s.config, providers: s.providers }
  const loadOrder = async (c: C): Promise<MerchantOrder> => {
    const orderNo = c.req.param('orderNo') ?? ''
    if (!ORDER_NO.test(orderNo))
      throw new HttpError(404, 'order_not_found', 'no such order')
    return getMerchantOrder(deps, orderNo)
  }

  app.get('/console/login', async (c) => {
    if (await readConsoleSession(c, s.db, s.config))
      return c.redirect('/console', 303)
    const t = translator(c.get('lang'))
    const notice = c.req.query('bye') ? t('login.loggedOut') : c.req.query('expired') ? t('login.expired') : undefined
    return html(c, loginPage(view(c), { next: safeNext(c.req.query('next')), notice, passwordEnabled: s.config.consolePassword !== undefined }))
  })

  app.post('/console/login', async (c) => {
    const t = translator(c.get('lang'))
    if (!sameOrigin(c, s.config.publicUrl))
      return html(c, errorPage(view(c), { message: t('error.csrf'), back: '/console/login' }), 403)
    const passwordEnabled = s.config.consolePassword !== undefined
    const limited = await loginLimiter(c, async () => {})
    if (limited instanceof Response) {
      const seconds = limited.headers.get('Retry-After') ?? String(LOGIN_WINDOW_MS / 1000)
      s.log.warn({ ip: clientIp(c, s.config) }, 'console login rate-limited')
      return html(c, loginPage(view(c), { error: t('login.rateLimited', { seconds }), passwordEnabled }), 429)
    }
    const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)
    const next = safeNext(form.next)
    const check = await checkLoginSecret(s.db, s.config, str(form, 'secret'))
    if (!check.ok) {
      s.log.warn({ ip: clientIp(c, s.config) }, 'console login refused')
      return html(c, loginPage(view(c), { next, error: t('login.failed'), passwordEnabled }), 401)
    }
    const old = await readConsoleSession(c, s.db, s.config)
    if (old)
      await destroyConsoleSession(s.db, old)
    writeConsoleCookie(c, await createConsoleSession(s.db, check.apiKeyId), secure)
    s.log.info({ ip: clientIp(c, s.config), via: check.apiKeyId ?? 'password' }, 'console login')
    return c.redirect(next ?? CONSOLE_PATH, 303)
  })

  app.post('/console/logout', action(async (c, session) => {
    await destroyConsoleSession(s.db, session)
    clearConsoleCookie(c, secure)
    return c.redirect('/console/login?bye=1', 303)
  }))

  app.get('/console', page(async (c, session) => {
    const q = c.req.query()
    const status = STATUSES.find(x => x === q.status)
    const filters: OrderFilters = {
      search: (q.q ?? '').trim().slice(0, 128),
      status: status ?? '',
      from: DATE.test(q.from ?? '') ? q.from! : '',
      to: DATE.test(q.to ?? '') ? q.to! : '',
    }
    const query = {
      status,
      search: filters.search || undefined,
      createdFrom: filters.from ? beijingDay(filters.from, false) : undefined,
      createdTo: filters.to ? beijingDay(filters.to, true) : undefined,
      limit: 25,
    }
    try {
      const list = await listMerchantOrders(deps, { ...query, cursor: q.cursor || undefined })
      return html(c, ordersPage(view(c, session), { list, filters, paged: !!q.cursor }))
    }
    catch (e) {
      // A cursor this server did not give out: the first page, with the reason.
      if (!(e instanceof HttpError))
        throw e
      const f = failure(c, e)
      const list = await listMerchantOrders(deps, query)
      return html(c, ordersPage(view(c, session), { list, filters, paged: false, error: f.message }), 400)
    }
  }))

  app.get('/console/orders/:orderNo', page(async (c, session) => {
    const t = translator(c.get('lang'))
    const notice = c.req.query('done') === 'refund' ? t('refund.done') : c.req.query('done') === 'close' ? t('close.done') : undefined
    return html(c, orderPage(view(c, session), { order: await loadOrder(c), notice }))
  }))

  app.get('/console/orders/:orderNo/refund', page(async (c, session) => {
    const t = translator(c.get('lang'))
    const order = await loadOrder(c)
    const amount = (c.req.query('amount') ?? '').trim()
    const reason = (c.req.query('reason') ?? '').trim().slice(0, 80)
    const v = view(c, session)
    const remaining = remainingFen(order)
    if (remaining <= 0) {
      const f = failure(c, new HttpError(409, order.status === 'refunded' ? 'order_fully_refunded' : 'order_not_paid', ''))
      return html(c, orderPage(v, { order, error: f.message }), 409)
    }
    const amountFen = amount === '' ? remaining : yuanStringToFen(amount)
    if (amountFen === null || amountFen <= 0)
      return html(c, orderPage(v, { order, error: t('refund.badAmount'), amount, reason }), 400)
    if (amountFen > remaining) {
      const f = failure(c, new HttpError(409, 'refund_exceeds_remaining', '', { remainingFen: remaining }))
      return html(c, orderPage(v, { order, error: f.message, amount, reason }), 409)
    }
    return html(c, refundConfirmPage(v, { order, amountFen, amount: String(amountFen), reason, formKey: randomBytes(16).toString('base64url') }))
  }))

  app.post('/console/orders/:orderNo/refund', action(async (c, session, form) => {
    const order = await loadOrder(c)
    const amountFen = Number(str(form, 'amount'))
    const formKey = str(form, 'formKey')
    const reason = str(form, 'reason').trim().slice(0, 80)
    if (!Number.isSafeInteger(amountFen) || amountFen <= 0 || !FORM_KEY.test(formKey)) {
      const t = translator(c.get('lang'))
      return html(c, orderPage(view(c, session), { order, error: t('refund.badAmount') }), 400)
    }
    try {
      await refundFromConsole(s, order.orderNo, { amountFen, reason: reason || undefined, formKey })
    }
    catch (e) {
      if (!(e instanceof HttpError))
        throw e
      const f = failure(c, e)
      return html(c, orderPage(view(c, session), { order: await getMerchantOrder(deps, order.orderNo), error: f.message }), f.status)
    }
    s.log.info({ orderNo: order.orderNo, amountFen, by: session.apiKeyId ?? 'console password' }, 'console refund')
    return c.redirect(`${orderPath(order.orderNo)}?done=refund`, 303)
  }))

  app.get('/console/orders/:orderNo/close', page(async (c, session) => {
    const order = await loadOrder(c)
    if (order.status === 'paid' || order.status === 'refunded')
      return html(c, orderPage(view(c, session), { order, error: failure(c, new HttpError(409, 'order_not_closable', '')).message }), 409)
    if (order.status !== 'pending')
      return c.redirect(orderPath(order.orderNo), 303)
    return html(c, closeConfirmPage(view(c, session), { order }))
  }))

  app.post('/console/orders/:orderNo/close', action(async (c, session) => {
    const order = await loadOrder(c)
    try {
      await closeFromConsole(s, order.orderNo)
    }
    catch (e) {
      if (!(e instanceof HttpError))
        throw e
      const f = failure(c, e)
      return html(c, orderPage(view(c, session), { order: await getMerchantOrder(deps, order.orderNo), error: f.message }), f.status)
    }
    s.log.info({ orderNo: order.orderNo, by: session.apiKeyId ?? 'console password' }, 'console close')
    return c.redirect(`${orderPath(order.orderNo)}?done=close`, 303)
  }))

  app.all('/console/*', c => html(c, errorPage(view(c), { message: translator(c.get('lang'))('error.notFound') }), 404))
  return app
}

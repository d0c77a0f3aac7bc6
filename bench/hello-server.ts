/** The floor for the server figures: a bare Hono hello world on @hono/node-server (run by server-capacity.ts). */
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const port = Number(process.env.PORT ?? 0)
const app = new Hono().get('/', c => c.text('ok'))
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
process.on('SIGTERM', () => process.exit(0))

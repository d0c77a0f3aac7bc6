import type { OpenAPIHono } from '@hono/zod-openapi'

interface OpenApiDoc {
  info: { title: string, version: string, description?: string }
  paths: Record<string, Record<string, { summary?: string, description?: string, tags?: string[], responses?: Record<string, { description?: string }> }>>
}

const esc = (s: string) => s.replace(/[&<>"']/g, ch => `&#${ch.charCodeAt(0)};`)

/** A readable, dependency-free reference page rendered from the OpenAPI document. */
export function renderReference(doc: OpenApiDoc): string {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => `
      <section>
        <h2><code>${esc(method.toUpperCase())} ${esc(path)}</code></h2>
        <p>${esc(op.summary ?? '')}</p>
        ${op.description ? `<p>${esc(op.description)}</p>` : ''}
        <ul>${Object.entries(op.responses ?? {}).map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description ?? '')}</li>`).join('')}</ul>
      </section>`)).join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(doc.info.title)} — API reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:860px;margin:2rem auto;padding:0 1rem;color:#1a1a1a}h2{font-size:1rem;margin-top:2rem}code{background:#f2f2f2;padding:.1em .3em;border-radius:3px}</style>
</head><body><h1>${esc(doc.info.title)} <small>${esc(doc.info.version)}</small></h1><p>${esc(doc.info.description ?? '')}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1). Errors are always <code>{ "code", "message" }</code> JSON with the status shown.</p>
${ops}</body></html>`
}

export function mountDocs(app: OpenAPIHono, version: string): void {
  const config = {
    openapi: '3.1.0',
    info: {
      title: 'uni-cashier merchant API',
      version,
      description: 'The contract between the uni-cashier front end and a merchant server. Money is integer fen; the server\'s order is the only amount.',
    },
  }
  app.doc31('/api/openapi.json', config)
  app.get('/api/docs', (c) => {
    const doc = app.getOpenAPI31Document(config) as unknown as OpenApiDoc
    return c.html(renderReference(doc))
  })
}

import type { IncomingHttpHeaders } from 'node:http'
import { Buffer } from 'node:buffer'
import { createServer } from 'node:http'

/** One HTTP request exactly as it reached the wire: the raw request line target, headers and body text. */
export interface CapturedRequest {
  method: string
  /** Path plus query as sent (the request line), e.g. `/v3/pay/transactions/out-trade-no/T1?mchid=1230000109`. */
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface CannedReply {
  status: number
  headers?: Record<string, string>
  body?: string
}

export interface CaptureServer {
  /** http://127.0.0.1:port */
  origin: string
  requests: CapturedRequest[]
  close: () => Promise<void>
}

/** A loopback HTTP server that records every request and answers what `reply` says. */
export async function startCaptureServer(reply: (req: CapturedRequest) => CannedReply): Promise<CaptureServer> {
  const requests: CapturedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const captured: CapturedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(captured)
      let answer: CannedReply
      try {
        answer = reply(captured)
      }
      catch (e) {
        answer = { status: 599, body: String(e) }
      }
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise(resolve => server.close(() => resolve())),
  }
}

/** The part of autocannon 8's programmatic API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  import type { Buffer } from 'node:buffer'

  namespace autocannon {
    interface Histogram {
      average: number
      mean: number
      stddev: number
      min: number
      max: number
      total: number
      p50: number
      p90: number
      p97_5: number
      p99: number
    }

    interface RawRequest {
      method?: string
      path?: string
      headers?: Record<string, string>
      body?: string | Buffer
    }

    interface RequestSpec extends RawRequest {
      setupRequest?: (req: RawRequest, context: Record<string, unknown>) => RawRequest
    }

    interface Options {
      url: string
      connections?: number
      duration?: number
      timeout?: number
      method?: string
      headers?: Record<string, string>
      body?: string
      requests?: RequestSpec[]
      title?: string
    }

    interface Result {
      'title'?: string
      'url': string
      'requests': Histogram
      'latency': Histogram
      'throughput': Histogram
      'duration': number
      'errors': number
      'timeouts': number
      'non2xx': number
      '1xx': number
      '2xx': number
      '3xx': number
      '4xx': number
      '5xx': number
      'statusCodeStats': Record<string, { count: number }>
    }
  }

  function autocannon(opts: autocannon.Options): Promise<autocannon.Result> & { stop: () => void }
  export = autocannon
}

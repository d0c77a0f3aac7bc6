/**
 * A provider call that did not give a usable answer.
 * - `unavailable`: no answer, a timeout or a 5xx — retrying the same request may work;
 * - `rejected`: the provider refused the request (4xx business error) — retrying will not help;
 * - `not_found`: the provider has no such order (WeChat ORDER_NOT_EXIST, Alipay ACQ.TRADE_NOT_EXIST);
 * - `bad_signature`: the answer's signature did not verify — treated as no answer at all.
 */
export type ProviderErrorKind = 'unavailable' | 'rejected' | 'not_found' | 'bad_signature'

export class ProviderError extends Error {
  constructor(
    readonly kind: ProviderErrorKind,
    readonly providerCode: string,
    message: string,
    readonly httpStatus?: number,
  ) {
    super(message)
    this.name = 'ProviderError'
  }

  get retryable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'bad_signature'
  }
}

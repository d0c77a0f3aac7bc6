import pino from 'pino'

export type Logger = pino.Logger

/** JSON logs; openids, keys and secrets are never logged (they are redacted if they slip in). */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'uni-cashier' },
    redact: {
      paths: ['openid', '*.openid', 'payer.openid', 'secret', '*.secret', 'privateKey', 'apiV3Key', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  })
}

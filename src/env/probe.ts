import type { EnvironmentProbe } from './types'

/** The only place that reads browser globals for detection; everything else takes a probe. */
export function readProbe(uniPlatform: string | undefined): EnvironmentProbe {
  const g = globalThis as {
    navigator?: { userAgent?: string, maxTouchPoints?: number }
    __wxjs_environment?: string
    WeixinJSBridge?: unknown
    AlipayJSBridge?: unknown
  }
  return {
    userAgent: g.navigator?.userAgent ?? '',
    maxTouchPoints: g.navigator?.maxTouchPoints ?? 0,
    wxjsEnvironment: g.__wxjs_environment,
    hasWeixinBridge: g.WeixinJSBridge !== undefined,
    hasAlipayBridge: g.AlipayJSBridge !== undefined,
    uniPlatform,
  }
}

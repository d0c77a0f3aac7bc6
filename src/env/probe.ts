import type { EnvironmentProbe } from './types'

/** The only place that reads browser globals for detection; everything else takes a probe. */
export function readProbe(uniPlatform: string | undefined): EnvironmentProbe {
  // Partial: in the mini program there is no window and possibly no navigator.
  const g: Partial<Pick<Window, 'navigator' | 'WeixinJSBridge' | 'AlipayJSBridge' | '__wxjs_environment'>> = globalThis
  return {
    userAgent: g.navigator?.userAgent ?? '',
    maxTouchPoints: g.navigator?.maxTouchPoints ?? 0,
    wxjsEnvironment: g.__wxjs_environment,
    hasWeixinBridge: g.WeixinJSBridge !== undefined,
    hasAlipayBridge: g.AlipayJSBridge !== undefined,
    uniPlatform,
  }
}

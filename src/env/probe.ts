import type { EnvironmentProbe } from './types'

type Globals = Partial<Pick<Window, 'navigator' | 'matchMedia' | 'WeixinJSBridge' | 'AlipayJSBridge' | '__wxjs_environment'>>

/** A home-screen web app: iOS says so on navigator, everyone else through the display-mode media query. */
function isStandalone(g: Globals): boolean {
  if (g.navigator?.standalone === true)
    return true
  try {
    return typeof g.matchMedia === 'function' && g.matchMedia('(display-mode: standalone)').matches
  }
  catch {
    return false
  }
}

/** The only place that reads browser globals for detection; everything else takes a probe. */
export function readProbe(uniPlatform: string | undefined): EnvironmentProbe {
  // Partial: in the mini program there is no window (no matchMedia) and possibly no navigator.
  const g: Globals = globalThis
  return {
    userAgent: g.navigator?.userAgent ?? '',
    maxTouchPoints: g.navigator?.maxTouchPoints ?? 0,
    wxjsEnvironment: g.__wxjs_environment,
    hasWeixinBridge: g.WeixinJSBridge !== undefined,
    hasAlipayBridge: g.AlipayJSBridge !== undefined,
    standalone: isStandalone(g),
    uniPlatform,
  }
}

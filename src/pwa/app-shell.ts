import type { Environment } from '../env/types'

/**
 * Where the cashier becomes an installable web app: a phone's or a computer's own browser (and a home-screen app,
 * which detection counts as one). Never inside WeChat, WeCom, Alipay, a mini program's web-view or another app's
 * WebView: their WebViews keep service workers across unrelated pages of the app, some ship broken
 * implementations, none can install a web app, and in WeChat every byte counts on the way to the wallet.
 */
export function wantsAppShell(env: Pick<Environment, 'kind'>): boolean {
  return env.kind === 'mobile-browser' || env.kind === 'desktop-browser'
}

export interface AppShellStarter {
  /** Runs `fn` once the page has loaded and the browser is idle: never on the way to the first paint or the wallet. */
  afterLoad: (fn: () => void) => void
  /** Loads the rest (a chunk of its own, so an in-app page downloads none of it) and installs it. */
  install: () => void
}

/**
 * The part of the shell every page carries: decide, then wait for load. True when the shell will be installed. In
 * WeChat and the other apps this is all that runs.
 */
export function startAppShell(env: Pick<Environment, 'kind'>, starter: AppShellStarter): boolean {
  if (!wantsAppShell(env))
    return false
  starter.afterLoad(starter.install)
  return true
}

export interface AppShellHost {
  /** `navigator.serviceWorker` in a secure context; undefined where there is none. */
  serviceWorker?: Pick<ServiceWorkerContainer, 'register'>
  /** Links the web app manifest and the theme colour (not in index.html, so WeChat never fetches them). */
  linkManifest: () => void
  onError?: (e: unknown) => void
}

/** The service worker's URL, relative to the page: its scope is the cashier's directory, wherever it is deployed. */
export const SERVICE_WORKER_URL = 'sw.js'

/** Links the manifest and registers the service worker (browsers only, after load: see startAppShell). */
export function installAppShell(host: AppShellHost): void {
  host.linkManifest()
  host.serviceWorker?.register(SERVICE_WORKER_URL).catch(e => host.onError?.(e))
}

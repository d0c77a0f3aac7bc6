import { installAppShell } from '../pwa/app-shell'

/**
 * The installable web app's browser side, loaded by src/platform/app-shell.ts only in a browser and only after the
 * page has loaded: never part of a page's first load, never fetched inside WeChat or Alipay.
 */
export function installH5AppShell(): void {
  installAppShell({
    serviceWorker: window.isSecureContext && 'serviceWorker' in navigator ? navigator.serviceWorker : undefined,
    linkManifest: () => {
      const link = document.createElement('link')
      link.rel = 'manifest'
      link.href = 'manifest.webmanifest'
      const theme = document.createElement('meta')
      theme.name = 'theme-color'
      theme.content = '#05703a'
      document.head.append(link, theme)
    },
    onError: e => console.warn('service worker not registered', e),
  })
}

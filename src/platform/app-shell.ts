// #ifdef H5
import { currentEnvironment } from '../env'
import { startAppShell as start } from '../pwa/app-shell'
// #endif

/**
 * Makes the H5 cashier an installable web app in browsers (manifest, service worker) once the page has loaded and
 * the browser is idle; in WeChat, Alipay and other apps, and in the mini program, it does nothing and downloads
 * nothing. Its own module, imported by App.vue, so the entry chunk gains this decision and nothing else: the rest
 * is a chunk of its own (app-shell-h5.ts).
 */
export function startAppShell(): void {
  // #ifdef H5
  start(currentEnvironment(), {
    afterLoad: (fn) => {
      const idle = () => typeof requestIdleCallback === 'function' ? requestIdleCallback(fn, { timeout: 3000 }) : setTimeout(fn, 500)
      if (document.readyState === 'complete')
        idle()
      else
        window.addEventListener('load', idle, { once: true })
    },
    install: () => {
      import('./app-shell-h5').then(m => m.installH5AppShell(), () => {})
    },
  })
  // #endif
}

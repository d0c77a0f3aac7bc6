// #ifdef H5
import { currentEnvironment } from '../env'
import { startAppShell as start } from '../pwa/app-shell'
import { h5AppShellHost } from './h5'
// #endif

/**
 * Makes the H5 cashier an installable web app in browsers (manifest, service worker), after the page has loaded;
 * nothing in WeChat, Alipay or other apps, nothing in the mini program. Its own module, imported by App.vue, so the
 * entry chunk gains this and not the rest of the platform seam.
 */
export function startAppShell(): void {
  // #ifdef H5
  start(currentEnvironment(), h5AppShellHost())
  // #endif
}

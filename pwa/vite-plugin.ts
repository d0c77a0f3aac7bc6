import type { Plugin, ResolvedConfig } from 'vite'
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs'
import path from 'node:path'

/** The URL (relative to the service worker) the shell is precached under; see `shellUrl` below. */
export const SHELL_URL = 'index.html?shell=1'

/**
 * Route test for the generated service worker (serialised into it with `toString`, so it must use nothing but its
 * arguments and the worker's globals): a navigation to the cashier's own page, `<scope>` or `<scope>index.html`
 * with any query (OAuth and wallet returns add one; routes are in the hash). `/api`, `/sandbox`, `/console` and
 * every other page of the server are left to the network.
 */
function isCashierNavigation({ request, url }: { request: Request, url: URL }): boolean {
  const scope = new URL('./', location.href).href
  const page = url.origin + url.pathname
  return request.mode === 'navigate' && (page === scope || page === `${scope}index.html`)
}

/**
 * The PWA shell of the H5 build, written after uni's bundle: the web app manifest and its icons (pwa/), and a
 * Workbox service worker (`sw.js`) that precaches the hashed build output.
 *
 * - Hashed assets (and the icons) are served from the precache, cache first.
 * - The cashier's page itself is fetched from the network every time it is online (a fixed deploy reaches the
 *   next payment at once); only when the network fails does the precached copy of index.html answer, so the
 *   cashier opens offline. The shell is precached as `index.html?shell=1`, so Workbox's precache route never
 *   answers a navigation to `/` or `/index.html` before the network has been asked.
 * - Nothing else is routed: API calls, event streams, the sandbox, the console and wallet pages go to the network
 *   untouched, and nothing is cached at run time.
 *
 * The worker is registered from src/platform/app-shell.ts, in browsers only (never in WeChat, Alipay or another
 * app's WebView).
 */
export function pwaShell(): Plugin {
  let config: ResolvedConfig
  return {
    name: 'uni-cashier:pwa-shell',
    apply: 'build',
    configResolved(c) {
      config = c
    },
    async closeBundle() {
      if (process.env.UNI_PLATFORM !== 'h5')
        return
      const outDir = path.resolve(config.root, config.build.outDir)
      const source = path.resolve(__dirname)
      copyFileSync(path.join(source, 'manifest.webmanifest'), path.join(outDir, 'manifest.webmanifest'))
      mkdirSync(path.join(outDir, 'icons'), { recursive: true })
      for (const icon of readdirSync(path.join(source, 'icons')))
        copyFileSync(path.join(source, 'icons', icon), path.join(outDir, 'icons', icon))

      // Loaded here, not at the top: the dev server and the mini-program build never need it.
      const { generateSW } = await import('workbox-build')
      const { count, size, warnings } = await generateSW({
        globDirectory: outDir,
        globPatterns: ['**/*.{html,js,css,png,svg,webmanifest}'],
        globIgnores: ['sw.js', 'workbox-*.js'],
        swDest: path.join(outDir, 'sw.js'),
        mode: 'production',
        sourcemap: false,
        inlineWorkboxRuntime: true,
        // The build's file names carry their hash (a dot or a dash, then 8 characters): no revision query needed.
        dontCacheBustURLsMatching: /^assets\/.+[.-][\w-]{8}\.(?:js|css)$/,
        manifestTransforms: [async entries => ({
          manifest: entries.map(e => e.url === 'index.html' ? { ...e, url: SHELL_URL } : e),
          warnings: [],
        })],
        // `/` → `index.html` would let the precache answer the cashier's navigations cache-first.
        directoryIndex: '',
        cleanupOutdatedCaches: true,
        // A new worker waits until no page of the old one is open: a page opened offline from the old precache keeps
        // finding its lazily loaded chunks there, even after a deploy has removed them from the server.
        skipWaiting: false,
        // The first worker takes over the page that installed it, so that page's later chunks work offline too.
        clientsClaim: true,
        runtimeCaching: [{
          urlPattern: isCashierNavigation,
          handler: 'NetworkOnly',
          options: { precacheFallback: { fallbackURL: SHELL_URL } },
        }],
      })
      for (const w of warnings)
        config.logger.warn(`pwa: ${w}`)
      config.logger.info(`pwa: sw.js precaches ${count} files, ${(size / 1024).toFixed(1)} KB`)
    },
  }
}

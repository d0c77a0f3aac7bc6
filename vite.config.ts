import path from 'node:path'
import uniPlugin from '@dcloudio/vite-plugin-uni'
import { defineConfig } from 'vite'
import { pwaShell } from './pwa/vite-plugin'

// The uni-app input directory is the repository root (pages.json, manifest.json, App.vue live here).
process.env.UNI_INPUT_DIR ||= __dirname

// The plugin ships as CommonJS; depending on the loader its factory sits on `.default`.
const uni = ((uniPlugin as unknown as { default?: typeof uniPlugin }).default ?? uniPlugin)

export default defineConfig({
  plugins: [uni(), pwaShell()],
  resolve: {
    alias: { '@': path.resolve(__dirname) },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/sandbox': 'http://127.0.0.1:8080',
    },
  },
})

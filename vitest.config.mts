import { fileURLToPath } from 'node:url'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

// The uni plugin is deliberately absent: it swaps Vue for the uni-h5 runtime and breaks test-utils.
const UNI_TAGS = new Set(['view', 'text', 'image', 'button', 'canvas', 'navigator', 'scroll-view', 'web-view'])
const root = fileURLToPath(new URL('.', import.meta.url))

export default defineConfig({
  plugins: [vue({ template: { compilerOptions: { isCustomElement: tag => UNI_TAGS.has(tag) } } })],
  resolve: { alias: { '@': root } },
  test: {
    globals: true,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['tests/unit/**/*.test.ts'], environment: 'happy-dom' },
      },
      {
        extends: true,
        test: { name: 'build', include: ['tests/build/**/*.test.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['tests/server/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})

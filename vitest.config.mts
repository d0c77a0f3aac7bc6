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
      // Type tests (tests/types/*.test-d.ts): compiled with tsconfig.json, never run.
      {
        extends: true,
        test: { name: 'types', include: [], typecheck: { enabled: true, only: true, include: ['tests/types/**/*.test-d.ts'], tsconfig: 'tsconfig.json' } },
      },
      {
        extends: true,
        test: { name: 'reliability', include: ['tests/reliability/**/*.test.ts'], environment: 'node', testTimeout: 300_000, hookTimeout: 120_000 },
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
      // Several server processes behind nginx on a throw-away PostgreSQL (tests/scale/harness.ts). Needs Debian's
      // postgresql and nginx (.ci/run installs them): without them these fail, unless SCALE_TESTS=skip.
      // After the other projects (groupOrder), so their timing is not measured on a loaded machine.
      {
        extends: true,
        test: {
          name: 'scale',
          include: ['tests/scale/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          teardownTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
      // The server integration suite again, on a real PostgreSQL: tests/scale/pg-global-setup.ts starts a cluster,
      // tests/scale/pg-setup-file.ts hands its URL to tests/helpers/server.ts (TEST_DATABASE_URL).
      ...(process.env.SCALE_TESTS === 'skip'
        ? []
        : [{
            extends: true,
            test: {
              name: 'server-pg',
              include: ['tests/server/api.test.ts'],
              environment: 'node',
              globalSetup: ['tests/scale/pg-global-setup.ts'],
              setupFiles: ['tests/scale/pg-setup-file.ts'],
              testTimeout: 30_000,
              hookTimeout: 60_000,
              sequence: { groupOrder: 1 },
            },
          }]),
    ],
  },
})

import { defineConfig } from '@playwright/test'

export const E2E_PORT = Number(process.env.E2E_PORT ?? 18_181)
export const E2E_ORIGIN = `http://127.0.0.1:${E2E_PORT}`
/** The merchant console's password on the e2e server (tests/e2e/console.e2e.ts). */
export const CONSOLE_PASSWORD = 'e2e-console-password'

/** Flags that work for Debian's Chromium in a sandboxed, offline machine. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.e2e.ts',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: {
    timeout: 10_000,
    // Baselines of tests/e2e/screens.e2e.ts: anti-aliasing may differ a little, a layout change may not.
    toHaveScreenshot: { maxDiffPixelRatio: 0.01, threshold: 0.2, animations: 'disabled', caret: 'hide', scale: 'css' },
  },
  snapshotPathTemplate: '{testDir}/{testFileName}-snapshots/{arg}{ext}',
  reporter: [['list']],
  use: {
    baseURL: E2E_ORIGIN,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    trace: 'off',
    screenshot: 'off',
  },
  webServer: {
    // The product as `npm start` runs it (built cashier + API + sandbox), on a throw-away data directory.
    command: `rm -rf .data/e2e-${E2E_PORT} && tsx server/main.ts`,
    url: `${E2E_ORIGIN}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      PORT: String(E2E_PORT),
      HOST: '127.0.0.1',
      DATA_DIR: `.data/e2e-${E2E_PORT}`,
      SANDBOX_TIME_SCALE: '0.001',
      RECONCILE_AFTER_SECONDS: '1',
      LOG_LEVEL: 'warn',
      CONSOLE_PASSWORD,
    },
  },
})

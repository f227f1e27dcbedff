import { defineConfig } from '@playwright/test'
import { findChromium } from './test/support/chromium'

// Browser tests run in the Chromium that `npm test`'s first step found (test/support/chromium.ts):
// CHROMIUM_PATH, Debian's /usr/bin/chromium, or Playwright's own. The flags keep Chromium off the
// network it cannot reach here.
export default defineConfig({
  testDir: './test/browser',
  testMatch: '**/*.spec.ts',
  workers: 1,
  timeout: 120_000,
  expect: { timeout: 30_000 },
  reporter: process.env.CI ? 'list' : [['list']],
  outputDir: 'test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    trace: 'off',
    launchOptions: {
      executablePath: findChromium(),
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    },
  },
})

/**
 * Chromium for Vitest tests that drive a real browser themselves (the storage tests that need a
 * server started in the test process): one launch configuration, and test pages bundled with Vite.
 * @module
 */
import { chromium, type Browser } from '@playwright/test'
import { build, type Rollup } from 'vite'
import { findChromium } from './chromium'

/** Launches the Chromium `npm run chromium` found or installed, headless. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: findChromium(),
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  })
}

/** Bundles a test page's entry with Vite into one IIFE script that sets the global `name`. */
export async function bundlePage(entry: string, name: string): Promise<string> {
  const built = (await build({
    configFile: false,
    logLevel: 'warn',
    build: { lib: { entry, formats: ['iife'], name }, write: false, minify: false, reportCompressedSize: false },
  })) as Rollup.RollupOutput[]
  return built[0]!.output[0].code
}

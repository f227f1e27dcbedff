/**
 * Chromium for Vitest tests that drive a real browser themselves (the storage tests that need a
 * server started in the test process): one launch configuration, a page origin, and test pages
 * bundled with Vite.
 * @module
 */
import { chromium, type Browser } from '@playwright/test'
import { build, type Rollup } from 'vite'
import { findChromium } from './chromium'
import { startBlankPage } from './static-server'

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

/** Chromium and an empty page on its own origin, see {@link startChromiumSite}. */
export interface ChromiumSite {
  browser: Browser
  /** The page's origin, e.g. `http://127.0.0.1:41234`; every path answers the empty page. */
  url: string
  /** Closes the browser and the server. */
  close(): Promise<void>
}

/** Launches Chromium and a server on 127.0.0.1 answering an empty page titled `title` (the page a test adds its script to). */
export async function startChromiumSite(title: string): Promise<ChromiumSite> {
  const site = await startBlankPage(title)
  try {
    const browser = await launchChromium()
    return {
      browser,
      url: site.url,
      async close() {
        await browser.close()
        await site.close()
      },
    }
  } catch (error) {
    await site.close()
    throw error
  }
}

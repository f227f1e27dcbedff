/**
 * What the script-tag specs share: a page that loads the built `dist/resumable-upload.min.js` and
 * one sibling file (`resumable-upload.<sibling>.min.js`) through two script tags, with dist/
 * answered by route interception on the page's own origin (`npm test` runs the browser specs after
 * `npm run build`).
 * @module
 */
import { test as base, type Page } from '@playwright/test'
import { fileURLToPath } from 'node:url'
import { startBlankPage } from '../support/static-server'

const DIST = fileURLToPath(new URL('../../dist/', import.meta.url))

/** The page's `window` after {@link openWithScriptTags}: `randomFile` makes a File of random bytes and its SHA-256 (hex). */
export interface RandomFileWindow {
  randomFile(size: number, name: string, options?: FilePropertyBag): Promise<{ file: File; sha256: string }>
}

/** Runs in the page before its scripts: defines `window.randomFile`. */
function defineRandomFile(): void {
  ;(window as unknown as RandomFileWindow).randomFile = async (size, name, options) => {
    const bytes = new Uint8Array(size)
    for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)))
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    const sha256 = [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')
    return { file: new File([bytes], name, options), sha256 }
  }
}

/** Options of {@link openWithScriptTags}. */
export interface ScriptTagPage {
  /** The sibling file's middle name: `s3` for `resumable-upload.s3.min.js`. */
  sibling: string
  /** The function the sibling adds to `ResumableUpload`, e.g. `s3`, `azureBlob`. */
  name: string
  /** The page's origin (its `/` is loaded), e.g. the {@link test} fixture `blankPage`. */
  origin: string
}

/**
 * Opens the page (with `window.randomFile`, see {@link RandomFileWindow}) and adds both script tags; resolves once `ResumableUpload[name]` is a function
 * (the sibling defines it once the files it shares with the bundle's later code have loaded), with
 * the dist/ files requested, in order.
 */
export async function openWithScriptTags(page: Page, { sibling, name, origin }: ScriptTagPage): Promise<string[]> {
  const base = origin.replace(/\/$/, '')
  const fetched: string[] = []
  await page.route(`${base}/dist/*`, (route) => {
    const file = new URL(route.request().url()).pathname.slice('/dist/'.length)
    fetched.push(file)
    return route.fulfill({ path: `${DIST}${file}`, contentType: 'text/javascript' })
  })
  await page.addInitScript(defineRandomFile)
  await page.goto(`${base}/`)
  await page.addScriptTag({ url: '/dist/resumable-upload.min.js' })
  await page.addScriptTag({ url: `/dist/resumable-upload.${sibling}.min.js` })
  await page.waitForFunction((key) => typeof (window as unknown as { ResumableUpload: Record<string, unknown> }).ResumableUpload[key] === 'function', name)
  return fetched
}

/** Playwright's `test` with the worker-scoped `blankPage`: the origin of an empty page on 127.0.0.1, cross-origin to every upload target. */
export const test = base.extend<object, { blankPage: string }>({
  blankPage: [
    async ({}, use) => {
      const site = await startBlankPage('script tag')
      await use(site.url)
      await site.close()
    },
    { scope: 'worker' },
  ],
})

export { expect } from '@playwright/test'

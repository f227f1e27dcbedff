/**
 * The Chromium rows of the S3 bench: s3-page.ts bundled with Vite (IIFE, global `S3Bench`: ours
 * from `src/`, `@uppy/core` + `@uppy/aws-s3` from node_modules, minified as an app would ship
 * them), added to an empty page served by the backend's JSON endpoint (so the page's callbacks
 * talk to their own origin; s3rver's bucket allows any origin to PUT and exposes `ETag`). The
 * Blob is made once per size in the page; every round runs every configuration on it.
 * @module
 */
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import { build, type Rollup } from 'vite'
import { findChromium } from '../test/support/chromium'
import { CHROMIUM_ARGS } from './chromium'
import { MiB, dataSha256 } from './data'
import type * as S3PageModule from './s3-page'
import { S3_CONFIGS, S3_RAW, logS3Run, s3Rows, type S3Bench, type S3BenchOptions } from './s3'
import { rotated } from './stats'
import type { S3Config, S3Row, S3Run } from './s3-types'

const ROOT = resolve(import.meta.dirname, '..')

type S3PageWindow = Window & { S3Bench: typeof S3PageModule }

/** The page bundle's code. */
async function buildPage(): Promise<string> {
  const built = (await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    build: {
      lib: { entry: join(ROOT, 'bench', 's3-page.ts'), formats: ['iife'], name: 'S3Bench' },
      write: false,
      minify: true,
      reportCompressedSize: false,
    },
  })) as Rollup.RollupOutput[]
  const chunk = built[0]?.output[0]
  if (!chunk) throw new Error('vite built no page bundle')
  return chunk.code
}

async function openPage(browser: Browser, bench: S3Bench, script: string): Promise<Page> {
  const page = await browser.newPage()
  await page.goto(bench.endpoint.url)
  await page.addScriptTag({ content: script })
  await page.waitForFunction(() => 'S3Bench' in window)
  return page
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error)
}

/** One upload of `config` from the page, then the stored object checked. */
async function pageRun(
  page: Page,
  bench: S3Bench,
  config: S3Config,
  options: S3BenchOptions,
  target: { size: number; sha256: string; run: number },
): Promise<S3Run> {
  const base = { run: target.run, bytes: target.size }
  const key = `bench/chromium-raw-${target.size}-${target.run}-${config.id}`
  const args = {
    backend: bench.endpoint.url,
    partSize: config.defaults ? undefined : options.partSize,
    concurrency: config.defaults ? undefined : (config.concurrency ?? 1),
    key,
    putUrl: config.client === 'raw' ? await bench.putUrl(key) : '',
  }
  let done: { ms: number; key: string }
  try {
    const call = page.evaluate(
      (a) => {
        const s3 = (window as unknown as S3PageWindow).S3Bench
        if (a.client === 'raw') return s3.raw(a.putUrl, a.key)
        if (a.client === 'uppy') return s3.uppy(a.backend, a.partSize)
        return s3.ours(a.backend, a.partSize, a.concurrency)
      },
      { ...args, client: config.client },
    )
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no result in time')), 120_000 + (target.size / MiB) * 1000)))
    done = await Promise.race([call, timeout]).finally(() => clearTimeout(timer))
  } catch (error) {
    return { ...base, ms: 0, verified: false, error: errorText(error) }
  }
  const problem = await bench.verifyAndRemove(done.key, target.size, target.sha256)
  return { ...base, ms: done.ms, verified: problem === undefined, ...(problem === undefined ? {} : { error: problem }) }
}

/** The Chromium rows, per size and round; the browser's version. */
export async function runS3Chromium(bench: S3Bench, options: S3BenchOptions): Promise<{ rows: S3Row[]; version: string }> {
  const script = await buildPage()
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS })
  const rows: S3Row[] = []
  try {
    let page = await openPage(browser, bench, script)
    const makeBlob = async (size: number): Promise<void> => {
      const made = await page.evaluate(([bytes, seed]) => (window as unknown as S3PageWindow).S3Bench.makeBlob(bytes!, seed!), [size, options.seed])
      if (made !== size) throw new Error(`the page made a Blob of ${made} bytes, not ${size}`)
    }
    for (const sizeMiB of options.sizesMiB) {
      const target = { size: sizeMiB * MiB, sha256: await dataSha256(sizeMiB * MiB, options.seed) }
      await makeBlob(target.size)
      const runs = new Map<string, S3Run[]>(S3_CONFIGS.chromium.map((config) => [config.id, []]))
      for (let run = 1; run <= options.runsFor(sizeMiB); run++) {
        // One untimed ceiling upload first: the first upload of a round runs slower (bench/README.md).
        await pageRun(page, bench, S3_RAW, options, { ...target, run: 0 })
        for (const config of rotated(S3_CONFIGS.chromium, run)) {
          const result = await pageRun(page, bench, config, options, { ...target, run })
          runs.get(config.id)?.push(result)
          logS3Run(options.log, 'chromium', config, sizeMiB, result)
          if (!result.verified) {
            // A failed upload may still run in the page: go on in a fresh one.
            await page.close()
            page = await openPage(browser, bench, script)
            await makeBlob(target.size)
          }
        }
      }
      await page.evaluate(() => (window as unknown as S3PageWindow).S3Bench.dropBlob())
      rows.push(...s3Rows('chromium', sizeMiB, runs))
    }
    return { rows, version: browser.version() }
  } finally {
    await browser.close()
  }
}

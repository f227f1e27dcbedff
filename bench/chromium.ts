/**
 * Throughput in Chromium (headless, Playwright): the Blob is made in the page, each configuration
 * uploads it from the page, timed in the page. The JS heap is sampled over the Chrome DevTools
 * Protocol during each upload (after a GC), and the CPU time of all browser processes is read
 * from /proc around it.
 * @module
 */
import { join, resolve } from 'node:path'
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core'
import { findChromium } from '../test/support/chromium'
import { startStaticServer, type StaticServer } from '../test/support/static-server'
import { RAW_CONFIG, type UploadConfig } from './configs'
import { MiB, dataSha256 } from './data'
import { logRun, type Log } from './log'
import type { BenchWindow, PageUpload } from './page/bench-page'
import { canReadProc, descendantCpuSeconds } from './proc'
import { summarize, type RunResult, type ThroughputRow } from './results'
import type { BenchServers } from './servers'

/** The flags of the browser tests: keep Chromium off networks it cannot reach. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

const ROOT = resolve(import.meta.dirname, '..')

/** What the Chromium matrix runs. */
export interface ChromiumMatrix {
  configs: UploadConfig[]
  sizesMiB: number[]
  runsFor(sizeMiB: number): number
  /** Seed of the page's data (the same as the files'). */
  seed: number
  /** Directory holding the built `resumable-upload.min.js`. */
  scriptTagDir: string
  log: Log
}

/** The rows, and the browser's version. */
export interface ChromiumOutcome {
  rows: ThroughputRow[]
  version: string
}

/** Samples the page's used JS heap every `intervalMs` and keeps the largest value. */
class HeapSampler {
  private peak = 0
  private timer: ReturnType<typeof setInterval> | undefined
  private pending: Promise<void> = Promise.resolve()

  constructor(
    private readonly cdp: CDPSession,
    private readonly intervalMs = 100,
  ) {}

  /** Collects garbage and returns the used heap after it. */
  async settle(): Promise<number> {
    await this.cdp.send('HeapProfiler.collectGarbage')
    return (await this.cdp.send('Runtime.getHeapUsage')).usedSize
  }

  start(): void {
    this.peak = 0
    this.timer = setInterval(() => {
      this.pending = this.sample()
    }, this.intervalMs)
  }

  async stop(): Promise<number> {
    clearInterval(this.timer)
    await this.pending
    await this.sample()
    return this.peak
  }

  private async sample(): Promise<void> {
    const usage = await this.cdp.send('Runtime.getHeapUsage').catch(() => undefined)
    if (usage) this.peak = Math.max(this.peak, usage.usedSize)
  }
}

/** The page with the bench loaded, and a CDP session to it. */
interface Session {
  page: Page
  heap: HeapSampler
}

async function openSession(browser: Browser, pages: StaticServer): Promise<Session> {
  const page = await browser.newPage()
  await page.goto(`${pages.url}/index.html`)
  await page.waitForFunction(() => 'bench' in window && 'ResumableUpload' in window && 'tus' in window)
  const cdp = await page.context().newCDPSession(page)
  return { page, heap: new HeapSampler(cdp) }
}

async function makeBlob(page: Page, size: number, seed: number): Promise<void> {
  const made = await page.evaluate(([bytes, from]) => (window as unknown as BenchWindow).bench.makeBlob(bytes, from), [size, seed] as const)
  if (made !== size) throw new Error(`the page made a Blob of ${made} bytes, not ${size}`)
}

function uploadInPage(page: Page, config: UploadConfig, endpoint: string): Promise<PageUpload> {
  const args = { endpoint, chunkSize: config.chunkSize, protocol: config.protocol === 'tus' ? ('tus' as const) : ('ietf' as const) }
  switch (config.client) {
    case 'raw':
      return page.evaluate((a) => (window as unknown as BenchWindow).bench.raw(a.endpoint), args)
    case 'ours':
      return page.evaluate((a) => (window as unknown as BenchWindow).bench.ours(a.endpoint, a.protocol, a.chunkSize), args)
    case 'tus-js-client':
      return page.evaluate((a) => (window as unknown as BenchWindow).bench.tusJs(a.endpoint, typeof a.chunkSize === 'number' ? a.chunkSize : null), args)
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

function errorText(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.name) : String(error)
}

interface Target {
  size: number
  sha256: string
}

/** One upload from the page, measured and checked. */
async function measureRun(session: Session, servers: BenchServers, config: UploadConfig, target: Target, run: number): Promise<RunResult> {
  const baseline = await session.heap.settle()
  const cpuBefore = canReadProc() ? descendantCpuSeconds() : undefined
  session.heap.start()
  let upload: PageUpload | undefined
  let error: string | undefined
  try {
    upload = await withTimeout(uploadInPage(session.page, config, servers.endpoint(config.protocol)), 120_000 + (target.size / MiB) * 500, config.label)
  } catch (failure) {
    error = errorText(failure)
  }
  const peak = await session.heap.stop()
  const cpuSeconds = cpuBefore === undefined ? undefined : descendantCpuSeconds() - cpuBefore
  const base = { run, bytes: target.size, cpuSeconds, peakMemoryBytes: peak, baselineMemoryBytes: baseline }
  if (!upload) return { ...base, ms: 0, verified: false, error: error ?? 'no result' }
  const problem = await servers.verifyAndRemove(config.protocol, upload.url, target.size, target.sha256)
  return { ...base, ms: upload.ms, verified: problem === undefined, ...(problem === undefined ? {} : { error: problem }) }
}

/**
 * One untimed raw upload before each round. The first upload of a round (after making the Blob,
 * or after the tus rows) ran slower than the same upload right after it: 116–165 against
 * 143–193 MiB/s at 128 MiB (issue 11), and it was always the ceiling's. Its result is checked
 * and dropped; a failure is logged, not fatal.
 */
async function warmUp(session: Session, servers: BenchServers, target: Target, log: Log): Promise<void> {
  try {
    const upload = await uploadInPage(session.page, RAW_CONFIG, servers.endpoint('plain'))
    const problem = await servers.verifyAndRemove('plain', upload.url, target.size, target.sha256)
    if (problem !== undefined) log(`[chromium] warm-up upload not intact (not counted): ${problem}`)
  } catch (error) {
    // At 1 GiB Chromium 156 fails the first XHR of a new Blob with a network error; the next succeed.
    log(`[chromium] warm-up upload failed (not counted): ${errorText(error)}`)
  }
}

/** Runs the matrix in one page: per size, make the Blob, then `runs` rounds of every configuration. */
export async function runChromiumThroughput(servers: BenchServers, matrix: ChromiumMatrix): Promise<ChromiumOutcome> {
  const pages = await startStaticServer({
    '/': join(ROOT, 'bench', 'page'),
    '/bundle/': matrix.scriptTagDir,
    '/tus-js-client/': join(ROOT, 'node_modules', 'tus-js-client', 'dist'),
  })
  // The reference server answers CORS only for origins it was told about.
  servers.reference.allowCorsOrigin(pages.url)
  const browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: CHROMIUM_ARGS })
  try {
    let session = await openSession(browser, pages)
    const rows: ThroughputRow[] = []
    for (const sizeMiB of matrix.sizesMiB) {
      const target = { size: sizeMiB * MiB, sha256: await dataSha256(sizeMiB * MiB, matrix.seed) }
      await makeBlob(session.page, target.size, matrix.seed)
      const runs = new Map<string, RunResult[]>(matrix.configs.map((config) => [config.id, []]))
      for (let run = 1; run <= matrix.runsFor(sizeMiB); run++) {
        await warmUp(session, servers, target, matrix.log)
        for (const config of matrix.configs) {
          const result = await measureRun(session, servers, config, target, run)
          runs.get(config.id)?.push(result)
          logRun(matrix.log, 'chromium', config, sizeMiB, result)
          if (!result.verified) {
            // A failed upload may still be running in the page: start over in a fresh one.
            await session.page.close()
            session = await openSession(browser, pages)
            await makeBlob(session.page, target.size, matrix.seed)
          }
        }
      }
      await session.page.evaluate(() => (window as unknown as BenchWindow).bench.dropBlob())
      const ceiling = runs.get(matrix.configs[0]?.id ?? '') ?? []
      for (const config of matrix.configs) rows.push(summarize('chromium', config, sizeMiB, runs.get(config.id) ?? [], ceiling))
    }
    return { rows, version: browser.version() }
  } finally {
    await browser.close()
    await pages.close()
  }
}

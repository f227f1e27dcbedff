/**
 * `npm run size`: the size budgets of issue 11, measured as the bench's size section measures
 * (bench/size.ts, bench/bundles.ts): rollup + node-resolve (browser) + terser of an app entry built
 * from `src/`, every file gzip -9 on its own, summed.
 *
 * - core: an app importing `{ Upload }`, a default IETF upload in a browser: every chunk loaded
 *   before the first byte is sent (the entry, its static imports, the default IndexedDB store);
 * - core at end: the same app and upload, every chunk it has loaded by its end (bench/size.ts
 *   `byEndOfDefaultUpload`: the core and the on-demand chunks a default upload may load);
 * - react: the same as core for an app importing `{ useUpload }` (React itself not counted);
 * - script tag: what a page with `<script src=".../resumable-upload.min.js">` loads before the
 *   first byte of a default IETF upload (the bundle as rollup.config.mjs builds it);
 * - script tag all: the bundle and every sibling file it may load on demand (tus, fetch…).
 *
 * Limits and targets are in `size-budgets.json`: a measurement over its limit fails; the target
 * (the goal) is printed beside it so the gap stays visible, and fails too where
 * `enforceTarget` says the goal is met already. `--modules` also prints where
 * the bytes are, per module.
 * @module
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBundles } from '../../bench/bundles'
import { beforeFirstByte, byEndOfDefaultUpload, measureFiles, moduleBreakdown, renderBreakdown } from '../../bench/size'

/** One budget of size-budgets.json, in gzip -9 bytes. */
interface Budget {
  /** What is measured (`core`, `core at end`, `react`, `script tag`, `script tag all`). */
  name: string
  /** Fails above this. */
  limit: number
  /** The goal, if it sets one; `core+N` means the core's measured size plus N. */
  target?: number | string
  /** Whether a measurement over the target fails too (for goals already met). */
  enforceTarget?: boolean
}

function targetBytes(target: number | string | undefined, measured: Map<string, number>): number {
  if (target === undefined) return Number.NaN
  if (typeof target === 'number') return target
  const [, name = '', extra = '0'] = /^([a-z ]+)\+(\d+)$/.exec(target) ?? []
  return (measured.get(name) ?? Number.NaN) + Number(extra)
}

async function main(): Promise<number> {
  const budgets = JSON.parse(await readFile(join(import.meta.dirname, 'size-budgets.json'), 'utf8')) as Budget[]
  const dir = await mkdtemp(join(tmpdir(), 'size-budgets-'))
  try {
    const bundles = await buildBundles(dir)
    const files = new Map([
      ['core', beforeFirstByte(bundles.oursApp).map((chunk) => chunk.file)],
      ['core at end', byEndOfDefaultUpload(bundles.oursApp).map((chunk) => chunk.file)],
      ['react', beforeFirstByte(bundles.oursReact).map((chunk) => chunk.file)],
      ['script tag', beforeFirstByte(bundles.scriptTag).map((chunk) => chunk.file)],
      ['script tag all', bundles.scriptTag.files],
    ])
    const measured = new Map<string, number>()
    for (const [name, list] of files) measured.set(name, (await measureFiles(name, list, '')).gzipBytes)
    let failed = 0
    console.log(`${'budget'.padEnd(14)} ${'gzip -9 B'.padStart(10)} ${'limit'.padStart(8)} ${'target'.padStart(8)} ${'over target'.padStart(12)}`)
    for (const budget of budgets) {
      const bytes = measured.get(budget.name)
      if (bytes === undefined) throw new Error(`size-budgets.json: no measurement named '${budget.name}'`)
      const target = targetBytes(budget.target, measured)
      const verdict =
        bytes > budget.limit
          ? `  OVER THE LIMIT by ${bytes - budget.limit} B`
          : budget.enforceTarget && bytes > target
            ? `  OVER THE TARGET by ${bytes - target} B`
            : ''
      if (verdict) failed++
      const [shownTarget, over] = Number.isNaN(target) ? ['-', '-'] : [String(target), String(bytes - target)]
      console.log(
        `${budget.name.padEnd(14)} ${String(bytes).padStart(10)} ${String(budget.limit).padStart(8)} ${shownTarget.padStart(8)} ${over.padStart(12)}${verdict}`,
      )
    }
    if (process.argv.includes('--modules')) {
      console.log(`\n${renderBreakdown('app importing { Upload }', await moduleBreakdown(bundles.oursApp))}`)
      console.log(`\n${renderBreakdown('app importing { useUpload }', await moduleBreakdown(bundles.oursReact))}`)
      console.log(`\n${renderBreakdown('script tag and its sibling files', await moduleBreakdown(bundles.scriptTag))}`)
    }
    return failed === 0 ? 0 : 1
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

process.exitCode = await main()

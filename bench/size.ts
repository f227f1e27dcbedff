/**
 * Size: minified and gzip -9 bytes of what a browser downloads, ours and tus-js-client's, and
 * where our bytes are (per module, through the source maps).
 *
 * `npx tsx bench/size.ts` builds the bundles into a temporary directory and prints the size rows
 * and the per-module breakdown of the browser app, the React app and the script tag, without the
 * rest of the bench.
 * @module
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { buildBundles, type BuiltBundle, type Bundles, type ChunkContents } from './bundles'
import type { SizeResult } from './results'

/**
 * The module of the store a default browser upload reads before its first request (to find an
 * earlier upload of the same file): its chunk counts as loaded before the first byte.
 */
const DEFAULT_STORE_MODULE = /[\\/]src[\\/]stores[\\/]indexeddb\.ts$/

/** Minified and gzip -9 bytes of `files`, each gzipped on its own (they load separately). */
export async function measureFiles(name: string, files: string[], note: string): Promise<SizeResult> {
  let minBytes = 0
  let gzipBytes = 0
  for (const file of files) {
    const bytes = await readFile(file)
    minBytes += bytes.length
    gzipBytes += gzipSync(bytes, { level: 9 }).length
  }
  return { name, minBytes, gzipBytes, note }
}

/**
 * Modules only uploads with other than default options load (tus, the fetch transport, stream
 * sources, the memory store, `findPrevious`/`restoreAll`, reading bytes and digesting them for
 * checksums or sampled fingerprints). An on-demand chunk of nothing but these is not loaded by a default IETF upload;
 * any other on-demand chunk counts as loaded by its end (an over-estimate, never an under-one).
 */
const NOT_DEFAULT_MODULES = [
  /[\\/]src[\\/]protocols[\\/]tus(?:-[a-z]+)?\.ts$/,
  /[\\/]src[\\/]transports[\\/](?:fetch|header-map|response-text|streams)\.ts$/,
  /[\\/]src[\\/]sources[\\/](?:stream|read)\.ts$/,
  /[\\/]src[\\/]stores[\\/](?:memory|process-lock)\.ts$/,
  /[\\/]src[\\/]previous\.ts$/,
  /[\\/]src[\\/]upload[\\/]digest\.ts$/,
]

/**
 * The chunks a default upload loads before it sends its first byte: the entry, its static
 * imports, and the chunk of the default store (IndexedDB), which `start()` reads first. For the
 * script tag: the bundle (and the store's sibling file, if it were one).
 */
export function beforeFirstByte(bundle: BuiltBundle): ChunkContents[] {
  return (bundle.chunks ?? []).filter((chunk) => chunk.initial || chunk.moduleIds.some((id) => DEFAULT_STORE_MODULE.test(id)))
}

/**
 * The chunks a default IETF upload has loaded by its end: those before the first byte, and every
 * on-demand chunk holding a module that is not only for other options (see NOT_DEFAULT_MODULES).
 */
export function byEndOfDefaultUpload(bundle: BuiltBundle): ChunkContents[] {
  const first = beforeFirstByte(bundle)
  return (bundle.chunks ?? []).filter((chunk) => first.includes(chunk) || chunk.moduleIds.some((id) => isDefaultModule(id)))
}

/** Whether a default upload may run `id` (a module id as in `ChunkContents.moduleIds`). */
export function isDefaultModule(id: string): boolean {
  return !NOT_DEFAULT_MODULES.some((pattern) => pattern.test(id))
}

/** The files of `chunks`. */
const filesOf = (chunks: ChunkContents[]): string[] => chunks.map((chunk) => chunk.file)

/** The size rows. Files loaded separately are gzipped separately and summed. */
export async function measureSizes(bundles: Bundles): Promise<SizeResult[]> {
  const names = (files: string[]): string => files.map((file) => basename(file)).join(', ') || 'no chunk'
  const first = filesOf(beforeFirstByte(bundles.oursApp))
  const byEnd = filesOf(byEndOfDefaultUpload(bundles.oursApp))
  const later = (files: string[], before: string[]): string[] => files.filter((file) => !before.includes(file))
  const scriptFirst = filesOf(beforeFirstByte(bundles.scriptTag))
  const rows = [
    await measureFiles(
      'ours: default IETF upload in a browser, app importing { Upload }',
      first,
      `rollup + node-resolve (browser) + terser; what loads before the first byte is sent: ${names(first)}`,
    ),
    await measureFiles('ours: + what a default IETF upload loads by its end', byEnd, `+ ${names(later(byEnd, first))}, each gzipped`),
    await measureFiles(
      'ours: + every on-demand chunk',
      bundles.oursApp.files,
      `+ ${names(later(bundles.oursApp.files, byEnd))} (tus, fetch, streams…), each gzipped`,
    ),
    await measureFiles(
      'ours: script tag, before the first byte of a default IETF upload',
      scriptFirst,
      `the script-tag build of rollup.config.mjs (a classic script, global ResumableUpload): ${names(scriptFirst)}`,
    ),
    await measureFiles(
      'ours: script tag + every sibling file',
      bundles.scriptTag.files,
      `+ ${names(later(bundles.scriptTag.files, scriptFirst))}, loaded from the bundle's URL on first use, each gzipped`,
    ),
    await measureFiles('tus-js-client: dist/tus.min.js', bundles.tusJsScriptTag.files, 'tus-js-client 4.3.1 browser bundle as published (UMD, whole API)'),
  ]
  return rows
}

/** One line of the per-module breakdown. */
export interface ModuleSize {
  /** The chunk's file name. */
  chunk: string
  /** The source module (see `ChunkContents.bytesBySource`). */
  source: string
  /** Minified bytes of it in the chunk. */
  minBytes: number
  /** The chunk's gzip -9 bytes shared out by minified bytes: an estimate (gzip has no per-module size). */
  gzipShare: number
}

/** Where the bytes of a built app are: every chunk's modules, largest first within a chunk. */
export async function moduleBreakdown(bundle: BuiltBundle): Promise<ModuleSize[]> {
  const rows: ModuleSize[] = []
  for (const chunk of bundle.chunks ?? []) {
    const code = await readFile(chunk.file)
    const gzip = gzipSync(code, { level: 9 }).length
    const entries = Object.entries(chunk.bytesBySource).sort((a, b) => b[1] - a[1])
    for (const [source, minBytes] of entries) {
      rows.push({ chunk: basename(chunk.file), source, minBytes, gzipShare: Math.round((gzip * minBytes) / code.length) })
    }
  }
  return rows
}

/** The breakdown as a text table, with a total line per chunk. */
export function renderBreakdown(title: string, rows: readonly ModuleSize[]): string {
  const width = Math.max(16, ...rows.map((row) => row.chunk.length))
  const lines = [title, `${'chunk'.padEnd(width)} ${'module'.padEnd(44)} ${'min B'.padStart(7)} ${'≈gz B'.padStart(7)}`]
  const chunks = [...new Set(rows.map((row) => row.chunk))]
  for (const chunk of chunks) {
    const own = rows.filter((row) => row.chunk === chunk)
    for (const row of own)
      lines.push(`${row.chunk.padEnd(width)} ${row.source.padEnd(44)} ${String(row.minBytes).padStart(7)} ${String(row.gzipShare).padStart(7)}`)
    const sum = (key: 'minBytes' | 'gzipShare'): string => String(own.reduce((total, row) => total + row[key], 0)).padStart(7)
    lines.push(`${chunk.padEnd(width)} ${'= chunk total'.padEnd(44)} ${sum('minBytes')} ${sum('gzipShare')}`)
  }
  return lines.join('\n')
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-size-'))
  try {
    const bundles = await buildBundles(dir)
    for (const row of await measureSizes(bundles)) console.log(`${row.name}: ${row.minBytes} min, ${row.gzipBytes} gzip -9 (${row.note})`)
    console.log()
    console.log(
      renderBreakdown(
        "app importing { Upload } (browser entry); '*' marks chunks loaded before the first byte",
        markFirst(bundles.oursApp, await moduleBreakdown(bundles.oursApp)),
      ),
    )
    console.log()
    console.log(renderBreakdown('app importing { useUpload } (React external)', markFirst(bundles.oursReact, await moduleBreakdown(bundles.oursReact))))
    console.log()
    console.log(renderBreakdown('script tag and its sibling files', markFirst(bundles.scriptTag, await moduleBreakdown(bundles.scriptTag))))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

function markFirst(bundle: BuiltBundle, rows: ModuleSize[]): ModuleSize[] {
  const first = new Set(beforeFirstByte(bundle).map((chunk) => basename(chunk.file)))
  return rows.map((row) => (first.has(row.chunk) ? { ...row, chunk: `*${row.chunk}` } : row))
}

if (import.meta.url === `file://${process.argv[1]}`) await main()

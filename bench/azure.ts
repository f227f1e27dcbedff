/**
 * The Azure section of `npm run bench` (issue 13): throughput of Azure Block Blob uploads against
 * Azurite 3.35.0 (test/support/azurite.ts) in Node, side by side in the same rounds:
 * - the ceiling: one Put Blob of the whole file (one request, no blocks);
 * - ours, `new Upload(path, { protocol: azureBlob({ url }) })`, with 1 and 4 blocks in flight;
 * - `@azure/storage-blob`'s `BlockBlobClient.uploadFile` with concurrency 4,
 * every block row with the same block size (the SDK's `maxSingleShotSize` is set to it, so it
 * sends blocks as ours does instead of one Put Blob up to 256 MiB). All clients run in this
 * process, one after the other; every blob is downloaded, its SHA-256 compared (a mismatch fails
 * the run), and deleted. The sizes (azure-size.ts) put the Azure entry next to the SDK's browser
 * bundle. `npx tsx bench/azure.ts [MiB…]` runs the section alone.
 * @module
 */
import { BlockBlobClient } from '@azure/storage-blob'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { azureBlob } from '../src/azure'
import { Upload } from '../src/node'
import { AZURITE_CONTAINER, startAzurite, type Azurite } from '../test/support/azurite'
import { measureAzureSizes, renderAzureSizes } from './azure-size'
import { DataFiles, MiB, type DataFile } from './data'
import { stderrLog, type Log } from './log'
import { loadNow } from './machine'
import type { SizeResult } from './results'
import { median, rotated } from './stats'

/** A configuration of the section. */
export interface AzureConfig {
  id: 'put-blob' | 'ours-c1' | 'ours-c4' | 'sdk-c4'
  label: string
}

const CONFIGS: AzureConfig[] = [
  { id: 'put-blob', label: 'Put Blob, whole file, one request (ceiling)' },
  { id: 'ours-c1', label: 'ours azureBlob, concurrency 1' },
  { id: 'ours-c4', label: 'ours azureBlob, concurrency 4' },
  { id: 'sdk-c4', label: '@azure/storage-blob uploadFile, concurrency 4' },
]

/** One row: a configuration at a size, over its runs. */
export interface AzureRow {
  config: AzureConfig
  sizeMiB: number
  /** Seconds of each run that completed and verified. */
  seconds: number[]
  mibPerSecond: number | undefined
  ratioToCeiling: number | undefined
  ratioToSdk: number | undefined
  /** Failures (upload errors, SHA-256 mismatches). */
  errors: string[]
}

/** The section's results. */
export interface AzureSection {
  blockSizeMiB: number
  rows: AzureRow[]
  size: SizeResult[]
  /** 1-minute load average before and after. */
  load: { start: number; end: number }
}

/** What the section runs. */
export interface AzureBenchOptions {
  sizesMiB: number[]
  runs: number
  blockSize: number
  files: DataFiles
  /** Whether to measure the sizes too (two builds and a rollup of the SDK). */
  sizes: boolean
  log: Log
}

/** One upload of `file` to blob `name` by `config`, resolved once the blob is committed. */
async function uploadOnce(azurite: Azurite, config: AzureConfig, file: DataFile, name: string, blockSize: number): Promise<void> {
  const url = azurite.sasUrl(name)
  if (config.id === 'put-blob') return putBlob(url, file)
  if (config.id === 'sdk-c4') {
    await new BlockBlobClient(url).uploadFile(file.path, { blockSize, concurrency: 4, maxSingleShotSize: blockSize })
    return
  }
  const concurrency = config.id === 'ours-c4' ? 4 : 1
  await new Upload(file.path, { protocol: azureBlob({ url }), chunkSize: blockSize, concurrency, store: false }).start()
}

/** Put Blob: the whole file as one request body. */
function putBlob(url: string, file: DataFile): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers = { 'x-ms-version': '2021-12-02', 'x-ms-blob-type': 'BlockBlob', 'content-length': String(file.size) }
    const sent = request(url, { method: 'PUT', headers }, (response) => {
      response.resume()
      response.on('end', () => (response.statusCode === 201 ? resolve() : reject(new Error(`Put Blob answered ${response.statusCode}`))))
    })
    sent.on('error', reject)
    createReadStream(file.path).pipe(sent)
  })
}

/** Downloads the blob, compares its SHA-256 and length, deletes it. */
async function verify(azurite: Azurite, name: string, file: DataFile): Promise<string | undefined> {
  const client = azurite.service.getContainerClient(AZURITE_CONTAINER).getBlockBlobClient(name)
  const hash = createHash('sha256')
  let length = 0
  const body = (await client.download()).readableStreamBody
  if (!body) return 'no body'
  for await (const piece of body) {
    hash.update(piece as Buffer)
    length += (piece as Buffer).length
  }
  await client.delete()
  const sha256 = hash.digest('hex')
  return sha256 === file.sha256 && length === file.size
    ? undefined
    : `sha256 ${sha256.slice(0, 12)}… length ${length}, expected ${file.sha256.slice(0, 12)}… ${file.size}`
}

/**
 * Runs the section: for each size, one untimed warm-up round of every configuration, then `runs`
 * timed rounds, each starting one configuration later (rotated). Azurite speeds up as it warms
 * (every configuration ran ~30% faster in its third round than its first), so a fixed order
 * favoured whichever ran last: the SDK, last, ran ahead of ours (ours 0.90×), and level with ours
 * when the two swapped places (1.00×).
 */
export async function runAzureBench(options: AzureBenchOptions): Promise<AzureSection> {
  const start = loadNow()
  const azurite = await startAzurite()
  const rows: AzureRow[] = []
  try {
    for (const sizeMiB of options.sizesMiB) {
      const file = await options.files.get(sizeMiB * MiB)
      const sized = CONFIGS.map((config) => ({ config, sizeMiB, seconds: [] as number[], errors: [] as string[] }))
      for (const row of sized) await uploadOnce(azurite, row.config, file, `bench-warm-${row.config.id}-${sizeMiB}.bin`, options.blockSize)
      for (let run = 0; run < options.runs; run++) {
        for (const row of rotated(sized, run + 1)) {
          const name = `bench-${row.config.id}-${sizeMiB}-${run}.bin`
          const began = performance.now()
          try {
            await uploadOnce(azurite, row.config, file, name, options.blockSize)
            const seconds = (performance.now() - began) / 1000
            const failed = await verify(azurite, name, file)
            if (failed === undefined) row.seconds.push(seconds)
            else row.errors.push(failed)
            options.log(`[azure] ${sizeMiB} MiB ${row.config.id} run ${run + 1}: ${(sizeMiB / seconds).toFixed(1)} MiB/s${failed ? ` FAILED ${failed}` : ''}`)
          } catch (error) {
            row.errors.push(error instanceof Error ? error.message : String(error))
            options.log(`[azure] ${sizeMiB} MiB ${row.config.id} run ${run + 1}: FAILED ${String(error)}`)
          }
        }
      }
      rows.push(...withRatios(sized))
    }
  } finally {
    await azurite.close()
  }
  const size = options.sizes ? await measureAzureSizes() : []
  return { blockSizeMiB: options.blockSize / MiB, rows, size, load: { start, end: loadNow() } }
}

function withRatios(rows: Array<Pick<AzureRow, 'config' | 'sizeMiB' | 'seconds' | 'errors'>>): AzureRow[] {
  const speed = (seconds: number[]): number | undefined => {
    const middle = median(seconds)
    return middle === undefined ? undefined : rows[0]!.sizeMiB / middle
  }
  const ceiling = speed(rows.find((row) => row.config.id === 'put-blob')?.seconds ?? [])
  const sdk = speed(rows.find((row) => row.config.id === 'sdk-c4')?.seconds ?? [])
  return rows.map((row) => {
    const mibPerSecond = speed(row.seconds)
    const ratio = (base: number | undefined) => (mibPerSecond === undefined || base === undefined ? undefined : mibPerSecond / base)
    return { ...row, mibPerSecond, ratioToCeiling: ratio(ceiling), ratioToSdk: ratio(sdk) }
  })
}

/** Failed rows, for the bench's exit code. */
export function azureFailures(section: AzureSection | undefined): string[] {
  return (section?.rows ?? []).filter((row) => row.errors.length > 0 || row.seconds.length === 0).map((row) => `azure ${row.config.label} ${row.sizeMiB} MiB`)
}

/** The section as text: the throughput table, then the sizes. */
export function renderAzureSection(section: AzureSection): string {
  const ratio = (value: number | undefined): string => (value === undefined ? '–' : `${value.toFixed(2)}×`)
  const lines = [
    `\n## Azure Block Blob (Azurite 3.35.0, Node, ${section.blockSizeMiB} MiB blocks, load ${section.load.start.toFixed(2)} -> ${section.load.end.toFixed(2)})\n`,
    '| MiB | configuration | MiB/s | × ceiling | × SDK | check |',
    '|---|---|---|---|---|---|',
  ]
  for (const row of section.rows) {
    const speed = row.mibPerSecond === undefined ? '–' : row.mibPerSecond.toFixed(1)
    const check =
      row.errors.length === 0 && row.seconds.length > 0
        ? `sha256 ok (${row.seconds.length} run${row.seconds.length === 1 ? '' : 's'})`
        : `FAILED (${row.errors.join('; ')})`
    lines.push(`| ${row.sizeMiB} | ${row.config.label} | ${speed} | ${ratio(row.ratioToCeiling)} | ${ratio(row.ratioToSdk)} | ${check} |`)
  }
  const out = [lines.join('\n') + '\n']
  if (section.size.length > 0) out.push(`\n${renderAzureSizes(section.size)}`)
  return out.join('')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizesMiB = process.argv.slice(2).map(Number)
  const dir = await mkdtemp(join(tmpdir(), 'resumable-upload-azure-bench-'))
  try {
    const section = await runAzureBench({
      sizesMiB: sizesMiB.length > 0 ? sizesMiB : [128],
      runs: 1,
      blockSize: 8 * MiB,
      files: new DataFiles(dir, 1),
      sizes: true,
      log: stderrLog,
    })
    process.stdout.write(renderAzureSection(section))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

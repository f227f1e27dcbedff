/**
 * `npm run bench`: speed, memory, size and resume waste of our Upload side by side with the raw
 * single request (the ceiling) and tus-js-client, in one run on this machine, on 127.0.0.1.
 * Prints tables on stdout (progress on stderr) and writes `bench/results.json`. It checks every
 * upload's stored SHA-256 and exits 1 when one did not arrive intact; it never fails on speed.
 * See bench/README.md.
 * @module
 */
import { mkdir, mkdtemp, rm, statfs, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { buildBundles, buildNodeClient, type Bundles } from './bundles'
import { runChromiumThroughput } from './chromium'
import { CHUNK_SIZES, resumableConfig, throughputMatrix, type UploadConfig } from './configs'
import { DataFiles, MiB } from './data'
import { stderrLog, type Log } from './log'
import { loadNow, machineInfo } from './machine'
import { memoryGrowth } from './memory'
import { runNodeThroughput } from './node'
import { parseOptions, runsFor, type BenchOptions } from './options'
import type { BenchResults } from './results'
import { startBenchServers } from './servers'
import { measureSizes } from './size'
import { azureFailures, renderAzureSection, runAzureBench, type AzureSection } from './azure'
import { runS3Bench, s3Failures } from './s3'
import { renderS3Section } from './s3-table'
import type { S3Section } from './s3-types'
import { renderResults } from './table'
import { runWaste } from './waste'

const ROOT = resolve(import.meta.dirname, '..')

/** results.json: the sections of results.ts, and the S3 and Azure sections when they ran. */
type AllResults = BenchResults & { s3?: S3Section; azure?: AzureSection }

/** Whether `protocol: 'tus'` can be loaded (another change adds it). */
async function oursSpeaksTus(): Promise<boolean> {
  try {
    const module: unknown = await import('../src/protocols/tus')
    return typeof module === 'object' && module !== null && 'tusProtocol' in module
  } catch {
    return false
  }
}

/**
 * Where uploads and data files go: `--storage`, else tmpfs (/dev/shm) when it has room for the
 * largest file three times over (source, stored copy, Chromium's Blob), else the OS temp directory.
 */
async function storageDir(options: BenchOptions): Promise<string> {
  if (options.storage !== undefined) return options.storage
  const needed = 3 * Math.max(...options.sizesMiB, ...options.s3SizesMiB, options.wasteSizeMiB) * MiB + 1024 * MiB
  try {
    const shm = await statfs('/dev/shm')
    if (shm.bavail * shm.bsize >= needed) return '/dev/shm'
  } catch {
    // no /dev/shm here
  }
  return tmpdir()
}

function wasteConfigs(withOursTus: boolean): UploadConfig[] {
  const configs: UploadConfig[] = [resumableConfig('ours', 'ietf', 'default')]
  for (const chunk of CHUNK_SIZES) {
    configs.push(resumableConfig('ours', 'ietf', chunk))
    if (withOursTus) configs.push(resumableConfig('ours', 'tus', chunk))
    configs.push(resumableConfig('tus-js-client', 'tus', chunk))
  }
  return configs
}

function failures(results: AllResults): string[] {
  const throughput = results.throughput.filter((row) => row.status !== 'ok').map((row) => `${row.environment} ${row.config.label} ${row.sizeMiB} MiB`)
  const waste = results.waste.filter((row) => !row.verified || row.cuts < row.plannedCuts.length).map((row) => `waste ${row.config.label}`)
  return [...throughput, ...waste, ...s3Failures(results.s3), ...azureFailures(results.azure)]
}

async function runSections(options: BenchOptions, work: string, results: AllResults, log: Log): Promise<void> {
  const sections = new Set(options.sections)
  const withOursTus = await oursSpeaksTus()
  if (!withOursTus) results.skipped.push("ours with protocol 'tus': src/protocols/tus.ts does not load")
  const started = performance.now()
  await mkdir(join(work, 'bundles'))
  const bundles: Bundles | undefined = sections.has('size') || sections.has('chromium') ? await buildBundles(join(work, 'bundles')) : undefined
  const client = sections.has('node') || sections.has('waste') ? await buildNodeClient(join(work, 'bundles')) : ''
  log(`[build] built in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  if (sections.has('size') && bundles) results.size = await measureSizes(bundles)
  const servers = await startBenchServers(join(work, 'servers'))
  const files = new DataFiles(work, options.seed)
  const configs = throughputMatrix(withOursTus)
  try {
    if (sections.has('node')) {
      results.throughput.push(
        ...(await runNodeThroughput(servers, {
          client,
          configs,
          sizesMiB: options.sizesMiB,
          runsFor: (size) => runsFor(options, size),
          files,
          log,
          ...(options.cpuProfileDir === undefined ? {} : { cpuProfileDir: options.cpuProfileDir }),
        })),
      )
    }
    if (sections.has('chromium') && bundles) {
      const scriptTagDir = dirname(bundles.scriptTag.files[0] ?? '')
      const outcome = await runChromiumThroughput(servers, {
        configs,
        sizesMiB: options.sizesMiB,
        runsFor: (size) => runsFor(options, size),
        seed: options.seed,
        scriptTagDir,
        log,
      })
      results.throughput.push(...outcome.rows)
      results.machine.chromium = outcome.version
    }
    if (sections.has('waste')) {
      results.waste = await runWaste(servers, {
        client,
        configs: wasteConfigs(withOursTus),
        size: options.wasteSizeMiB * MiB,
        cuts: options.cuts,
        seed: options.seed,
        files,
        log,
      })
    }
    if (sections.has('s3')) {
      results.s3 = await runS3Bench({
        sizesMiB: options.s3SizesMiB,
        runsFor: (size) => (options.s3SizesMiB.length > 1 && size === Math.max(...options.s3SizesMiB) ? options.runsForLargest : options.runs),
        partSize: options.s3PartSizeMiB * MiB,
        seed: options.seed,
        files,
        storage: work,
        sizes: !options.smoke,
        log,
      })
      results.machine.chromium ??= results.s3.chromium
    }
    if (sections.has('azure')) {
      const blockSize = (options.smoke ? 4 : 8) * MiB
      results.azure = await runAzureBench({ sizesMiB: options.azureSizesMiB, runs: options.runs, blockSize, files, sizes: !options.smoke, log })
    }
  } finally {
    await servers.close()
  }
  results.memory = memoryGrowth(results.throughput)
}

async function main(): Promise<number> {
  let options: BenchOptions
  try {
    options = parseOptions(process.argv.slice(2), ROOT)
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    return 2
  }
  process.chdir(ROOT)
  const started = performance.now()
  const results: AllResults = {
    startedAt: new Date().toISOString(),
    durationSeconds: 0,
    options: {
      smoke: options.smoke,
      runs: options.runs,
      runsForLargest: options.runsForLargest,
      sizesMiB: options.sizesMiB,
      wasteSizeMiB: options.wasteSizeMiB,
      cuts: options.cuts,
      storage: '',
    },
    machine: machineInfo(),
    throughput: [],
    waste: [],
    memory: [],
    size: [],
    skipped: [],
  }
  const storage = await storageDir(options)
  results.options.storage = storage
  const work = await mkdtemp(join(storage, 'resumable-upload-bench-'))
  try {
    await runSections(options, work, results, stderrLog)
  } finally {
    await rm(work, { recursive: true, force: true })
  }
  results.durationSeconds = (performance.now() - started) / 1000
  results.machine.loadAverage.end = loadNow()
  await writeFile(options.out, JSON.stringify(results, null, 2) + '\n')
  process.stdout.write(renderResults(results))
  if (results.s3) process.stdout.write(renderS3Section(results.s3))
  if (results.azure) process.stdout.write(renderAzureSection(results.azure))
  process.stdout.write(`\nresults: ${options.out}\n`)
  const failed = failures(results)
  if (failed.length > 0) console.error(`\nNOT VERIFIED: ${failed.join('; ')}`)
  return failed.length > 0 ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)

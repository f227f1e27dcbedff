/**
 * The S3 section of `npm run bench` (issue 12): throughput of S3 multipart uploads against s3rver
 * (test/support/s3-server.ts, behind its gate, CORS open), in Node and Chromium, side by side in
 * the same rounds:
 * - the ceiling: one presigned PutObject of the whole file;
 * - ours with 1 and 4 parts in flight (s3-ours.ts), and in Chromium 6 as well (Uppy's limit, and
 *   Chromium's connections per host over HTTP/1.1);
 * - Node: `@aws-sdk/lib-storage`'s `Upload` (queueSize 4); Chromium: `@uppy/aws-s3`;
 * - out of the box: ours with default options against lib-storage's defaults (Node) and Uppy
 *   with its default part size (Chromium; 5 MiB each; Uppy's multipart forced, as in every row);
 * every other multipart row with the section's part size. Ours and Uppy sign through the test backend's JSON
 * endpoint (s3-backend-http.ts); every stored object's SHA-256 is read back with GetObject (a
 * mismatch fails the run) and the object deleted. Node clients run in their own process
 * (s3-node-client.ts); the Chromium page is s3-page.ts (s3-chromium.ts).
 * @module
 */
import { CompleteMultipartUploadCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { createS3Backend, type S3TestBackend } from '../test/support/s3-backend'
import { serveS3Backend, type S3BackendEndpoint } from '../test/support/s3-backend-http'
import { startS3Server, type S3TestServer } from '../test/support/s3-server'
import type { DataFiles } from './data'
import { MiB } from './data'
import type { Log } from './log'
import { runS3Chromium } from './s3-chromium'
import { RESULT_PREFIX, type S3NodeJob, type S3NodeResult } from './s3-node-client'
import { measureS3Sizes } from './s3-size'
import type { S3Config, S3Environment, S3Row, S3Run, S3Section } from './s3-types'
import { median, rotated } from './stats'

const ROOT = resolve(import.meta.dirname, '..')

/** The ceiling row (first of every round). */
export const S3_RAW: S3Config = { id: 'raw', label: 'presigned PutObject, whole file (ceiling)', client: 'raw', concurrency: undefined }
const OURS_1: S3Config = { id: 'ours-c1', label: 'ours s3, concurrency 1', client: 'ours', concurrency: 1 }
const OURS_4: S3Config = { id: 'ours-c4', label: 'ours s3, concurrency 4', client: 'ours', concurrency: 4 }
const OURS_6: S3Config = { id: 'ours-c6', label: 'ours s3, concurrency 6', client: 'ours', concurrency: 6 }
const LIB_STORAGE: S3Config = { id: 'lib-storage', label: '@aws-sdk/lib-storage Upload, queueSize 4', client: 'lib-storage', concurrency: 4 }
const UPPY: S3Config = { id: 'uppy', label: '@uppy/aws-s3, limit 6 (its default)', client: 'uppy', concurrency: undefined }
/** Out of the box: ours with nothing but the protocol (8 MiB parts up to 78 GiB, 4 in flight). */
const OURS_DEFAULTS: S3Config = { id: 'ours-defaults', label: 'ours s3, default options', client: 'ours', concurrency: undefined, defaults: true }
/** lib-storage out of the box: 5 MiB parts, queueSize 4. */
const LIB_STORAGE_DEFAULTS: S3Config = {
  id: 'lib-storage-defaults',
  label: '@aws-sdk/lib-storage Upload, defaults (5 MiB parts)',
  client: 'lib-storage',
  concurrency: undefined,
  defaults: true,
}
/** Uppy with its default part size too (5 MiB up to 48 GiB, limit 6); multipart still forced (its default sends files under 100 MiB in one PUT). */
const UPPY_DEFAULTS: S3Config = {
  id: 'uppy-defaults',
  label: '@uppy/aws-s3, default part size (5 MiB)',
  client: 'uppy',
  concurrency: undefined,
  defaults: true,
}

/** The rows of each environment, the ceiling first. */
export const S3_CONFIGS: Record<S3Environment, S3Config[]> = {
  node: [S3_RAW, OURS_1, OURS_4, LIB_STORAGE, OURS_DEFAULTS, LIB_STORAGE_DEFAULTS],
  chromium: [S3_RAW, OURS_1, OURS_4, OURS_6, UPPY, OURS_DEFAULTS, UPPY_DEFAULTS],
}

/** The rival a row is compared with: the environment's lib-storage or Uppy row, with defaults when the row has them. */
function rivalOf(environment: S3Environment, config: S3Config): S3Config {
  const rivals = S3_CONFIGS[environment].filter((candidate) => candidate.client === 'lib-storage' || candidate.client === 'uppy')
  return rivals.find((candidate) => candidate.defaults === config.defaults) ?? rivals[0]!
}

/** What the section runs. */
export interface S3BenchOptions {
  sizesMiB: number[]
  runsFor(sizeMiB: number): number
  /** Part size of every multipart row, bytes. */
  partSize: number
  seed: number
  files: DataFiles
  /** Where s3rver keeps objects (tmpfs when the bench found room). */
  storage: string
  /** Whether to measure the sizes too (slow: four app builds; the smoke run leaves them out). */
  sizes: boolean
  log: Log
}

/** The emulator, the backend and its JSON endpoint, and how a run is checked. */
export interface S3Bench {
  server: S3TestServer
  backend: S3TestBackend
  endpoint: S3BackendEndpoint
  /** A presigned PutObject URL for `key` (the ceiling's). */
  putUrl(key: string): Promise<string>
  /** Checks the stored object of `key` (length and SHA-256), then deletes it; the problem, or undefined. */
  verifyAndRemove(key: string, size: number, sha256: string): Promise<string | undefined>
}

/**
 * The test backend, but `completeMultipartUpload` goes straight to s3rver, as an app's backend
 * goes to S3 (which checks the parts itself). The test backend first re-reads and hashes every
 * part to do S3's checks that s3rver skips (0.5–1.2 s per 64 MiB measured, loaded machine): a
 * cost of the emulator, which lib-storage (talking to s3rver directly) would not pay.
 */
function benchBackend(server: S3TestServer): S3TestBackend {
  const backend = createS3Backend(server)
  return {
    ...backend,
    async completeMultipartUpload(_file, { uploadId, key, parts, signal }) {
      const MultipartUpload = { Parts: parts.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) }
      const done = await server.client.send(new CompleteMultipartUploadCommand({ Bucket: server.bucket, Key: key, UploadId: uploadId, MultipartUpload }), {
        abortSignal: signal,
      })
      return done.Location === undefined ? {} : { location: done.Location }
    },
  }
}

async function startBench(storage: string): Promise<S3Bench> {
  // s3rver's directory is made in os.tmpdir(): point it at the bench's storage (tmpfs) for the start.
  const tmp = process.env.TMPDIR
  process.env.TMPDIR = storage
  let server: S3TestServer
  try {
    server = await startS3Server()
  } finally {
    if (tmp === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = tmp
  }
  const backend = benchBackend(server)
  const endpoint = await serveS3Backend(backend)
  const putUrl = (key: string): Promise<string> => getSignedUrl(server.client, new PutObjectCommand({ Bucket: server.bucket, Key: key }), { expiresIn: 3600 })
  const verifyAndRemove = async (key: string, size: number, sha256: string): Promise<string | undefined> => {
    try {
      const stored = await backend.sha256Of(key)
      if (stored.size !== size) return `stored ${stored.size} bytes, not ${size}`
      if (stored.sha256 !== sha256) return 'stored SHA-256 differs'
      return undefined
    } catch (error) {
      return `GetObject failed: ${error instanceof Error ? error.message : String(error)}`
    } finally {
      await server.client.send(new DeleteObjectCommand({ Bucket: server.bucket, Key: key })).catch(() => undefined)
    }
  }
  return { server, backend, endpoint, putUrl, verifyAndRemove }
}

/** Runs one Node job in a child process (tsx); resolves with its answer line. */
function runNodeChild(job: S3NodeJob, timeoutMs: number): Promise<S3NodeResult> {
  return new Promise((done) => {
    const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/s3-node-client.ts', JSON.stringify(job)], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let output = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (text: string) => (output += text))
    child.once('close', (code) => {
      clearTimeout(timer)
      const line = output.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX))
      done(
        line
          ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as S3NodeResult)
          : { ok: false, error: `the client exited with ${code ?? 'a signal'} and no result` },
      )
    })
  })
}

/** One Node upload of `config`, checked. */
async function nodeRun(bench: S3Bench, config: S3Config, options: S3BenchOptions, sizeMiB: number, run: number): Promise<S3Run> {
  const file = await options.files.get(sizeMiB * MiB)
  const key = `bench/node-${config.id}-${sizeMiB}-${run}`
  const job: S3NodeJob = {
    client: config.client === 'uppy' ? 'ours' : config.client,
    path: file.path,
    size: file.size,
    partSize: config.defaults ? undefined : options.partSize,
    concurrency: config.defaults ? undefined : (config.concurrency ?? 1),
    backendUrl: bench.endpoint.url,
    s3Endpoint: bench.server.endpoint,
    bucket: bench.server.bucket,
    key,
    putUrl: config.client === 'raw' ? await bench.putUrl(key) : '',
  }
  const result = await runNodeChild(job, 120_000 + sizeMiB * 1000)
  if (!result.ok) return { run, ms: 0, bytes: file.size, verified: false, error: result.error }
  const problem = await bench.verifyAndRemove(result.key, file.size, file.sha256)
  return { run, ms: result.ms, bytes: file.size, verified: problem === undefined, ...(problem === undefined ? {} : { error: problem }) }
}

function speed(run: S3Run): number {
  return run.bytes / MiB / (run.ms / 1000)
}

function ratios(runs: S3Run[], base: S3Run[]): number | undefined {
  return median(
    runs.flatMap((run) => {
      const other = base.find((candidate) => candidate.run === run.run && candidate.verified)
      return run.verified && other ? [speed(run) / speed(other)] : []
    }),
  )
}

/** The rows of one environment and size from the runs of each configuration (ceiling first). */
export function s3Rows(environment: S3Environment, sizeMiB: number, runs: Map<string, S3Run[]>): S3Row[] {
  const configs = S3_CONFIGS[environment]
  const ceiling = runs.get(configs[0]!.id) ?? []
  return configs.map((config) => {
    const rival = rivalOf(environment, config)
    const own = runs.get(config.id) ?? []
    const good = own.filter((run) => run.verified)
    return {
      environment,
      config,
      sizeMiB,
      runs: own,
      mibPerSecond: median(good.map(speed)),
      ratioToCeiling: ratios(own, ceiling),
      ratioToRival: ratios(own, runs.get(rival.id) ?? []),
      rival: rival.label,
    }
  })
}

/** Logs one run. */
export function logS3Run(log: Log, environment: S3Environment, config: S3Config, sizeMiB: number, run: S3Run): void {
  const outcome = run.verified ? `${speed(run).toFixed(1)} MiB/s, sha256 ok` : `FAILED: ${run.error ?? 'not verified'}`
  log(`[s3 ${environment}] ${config.label}, ${sizeMiB} MiB, run ${run.run}: ${outcome}`)
}

async function runNode(bench: S3Bench, options: S3BenchOptions): Promise<S3Row[]> {
  const rows: S3Row[] = []
  for (const sizeMiB of options.sizesMiB) {
    const runs = new Map<string, S3Run[]>(S3_CONFIGS.node.map((config) => [config.id, []]))
    // One untimed round first (a cold s3rver and process run the first uploads slower).
    for (const config of S3_CONFIGS.node) await nodeRun(bench, config, options, sizeMiB, 0)
    for (let run = 1; run <= options.runsFor(sizeMiB); run++) {
      for (const config of rotated(S3_CONFIGS.node, run)) {
        const result = await nodeRun(bench, config, options, sizeMiB, run)
        runs.get(config.id)?.push(result)
        logS3Run(options.log, 'node', config, sizeMiB, result)
      }
    }
    rows.push(...s3Rows('node', sizeMiB, runs))
  }
  return rows
}

/** Runs the S3 section: sizes first (no server needed), then Node and Chromium rows. */
export async function runS3Bench(options: S3BenchOptions): Promise<S3Section> {
  const section: S3Section = { partSizeMiB: options.partSize / MiB, sizesMiB: options.sizesMiB, rows: [], size: [], skipped: [] }
  if (options.sizes) {
    const started = performance.now()
    section.size = await measureS3Sizes()
    options.log(`[s3] sizes measured in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  } else section.skipped.push('sizes (smoke run; `npx tsx bench/s3-size.ts` prints them)')
  const bench = await startBench(options.storage)
  try {
    section.rows.push(...(await runNode(bench, options)))
    const chromium = await runS3Chromium(bench, options)
    section.rows.push(...chromium.rows)
    section.chromium = chromium.version
  } finally {
    await bench.endpoint.close()
    await bench.server.stop()
  }
  return section
}

/** The runs that did not arrive intact, named. */
export function s3Failures(section: S3Section | undefined): string[] {
  return (section?.rows ?? [])
    .filter((row) => row.runs.length === 0 || row.runs.some((run) => !run.verified))
    .map((row) => `s3 ${row.environment} ${row.config.label} ${row.sizeMiB} MiB`)
}

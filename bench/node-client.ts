/**
 * A Node upload client in its own process, so its CPU time and peak RSS are its own (the servers
 * run in the driver). The bench builds it to plain JavaScript first (`buildNodeClient`), then runs
 * `node node-client.mjs '<NodeJob as JSON>'`; `node --import tsx bench/node-client.ts '<job>'`
 * works too, with tsx's overhead. Prints one `BENCH-RESULT {json}` line and exits.
 * @module
 */
import { createReadStream, readFileSync } from 'node:fs'
import { request } from 'node:http'
import { basename } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Upload as TusJsUpload } from 'tus-js-client'
import { Upload } from '../src/node'
import { RESULT_MARKER, parseJob, type NodeJob, type NodeJobResult } from './node-job'

/** One raw POST of the whole file (the ceiling), answered with the plain upload's Location. */
async function uploadRaw(job: NodeJob): Promise<string> {
  const req = request(job.endpoint, {
    method: 'POST',
    headers: { 'content-length': String(job.size), 'content-type': 'application/octet-stream' },
  })
  const answer = new Promise<string>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume()
      const location = res.headers.location
      if (res.statusCode !== 201 || location === undefined) reject(new Error(`raw POST answered ${res.statusCode ?? '?'}`))
      else resolve(new URL(location, job.endpoint).href)
    })
    req.once('error', reject)
  })
  await pipeline(createReadStream(job.file), req)
  return answer
}

/** Our Upload from the file path, node-http transport (sees the 104), default retries; `'default'`: only the endpoint. */
async function uploadOurs(job: NodeJob): Promise<string> {
  const protocol = job.config.protocol === 'tus' ? 'tus' : 'ietf'
  const { chunkSize } = job.config
  const upload = new Upload(
    job.file,
    chunkSize === 'default' ? { endpoint: job.endpoint } : { endpoint: job.endpoint, protocol, chunkSize: chunkSize ?? Infinity },
  )
  const { url } = await upload.start()
  return url
}

/** tus-js-client from an `fs.ReadStream` (it re-opens the file per chunk), default retries. */
function uploadTusJs(job: NodeJob): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new TusJsUpload(createReadStream(job.file), {
      endpoint: job.endpoint,
      chunkSize: typeof job.config.chunkSize === 'number' ? job.config.chunkSize : Infinity,
      metadata: { filename: basename(job.file) },
      onSuccess: () => (upload.url === null ? reject(new Error('tus-js-client finished without a URL')) : resolve(upload.url)),
      onError: reject,
    })
    upload.start()
  })
}

function upload(job: NodeJob): Promise<string> {
  switch (job.config.client) {
    case 'raw':
      return uploadRaw(job)
    case 'ours':
      return uploadOurs(job)
    case 'tus-js-client':
      return uploadTusJs(job)
  }
}

/**
 * This process's peak RSS in bytes: `VmHWM` from /proc/self/status where there is one. Linux keeps
 * `getrusage().ru_maxrss` (`process.resourceUsage().maxRSS`) across fork and exec, so a child's
 * maxRSS starts at its parent's RSS; VmHWM belongs to this process's own address space.
 */
function peakRssBytes(): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))
    if (match?.[1]) return Number(match[1]) * 1024
  } catch {
    // not Linux: fall back to maxRSS
  }
  return process.resourceUsage().maxRSS * 1024
}

async function measure(job: NodeJob): Promise<NodeJobResult> {
  // Load what the upload would load lazily, so module compilation is not counted as upload CPU.
  await import('../src/protocols/tus').catch(() => undefined)
  const baselineRssBytes = process.memoryUsage().rss
  const cpu = process.cpuUsage()
  const started = performance.now()
  const url = await upload(job)
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  return {
    ok: true,
    url,
    ms,
    cpuSeconds: (used.user + used.system) / 1e6,
    maxRssBytes: peakRssBytes(),
    baselineRssBytes,
  }
}

async function main(): Promise<void> {
  let result: NodeJobResult
  try {
    result = await measure(parseJob(process.argv[2]))
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
  }
  // Keep-alive sockets would keep the process alive: exit once the line is written.
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(result)}\n`, () => process.exit(0))
}

void main()

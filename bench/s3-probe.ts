/**
 * A probe of where the time of parallel S3 parts goes against s3rver (issue 12, not part of `npm
 * run bench`): `npx tsx bench/s3-probe.ts [sizeMiB] [rounds]`. In one process, alternating, for
 * concurrency 1 and 4: raw presigned UploadPart PUTs of in-memory parts (no SDK of ours, http.request),
 * then ours through `new Upload(path, { protocol: s3(...) })`. If raw c4 is no faster than raw c1,
 * s3rver (one event loop) is the limit, not our client. CPU time (this process: s3rver, the gate,
 * the backend and the client) is printed beside the wall time: it is far less sensitive to a busy
 * machine, and a client that does more work per part shows there.
 * @module
 */
import { request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Upload } from '../src/node'
import { createS3Backend } from '../test/support/s3-backend'
import { startS3Server } from '../test/support/s3-server'
import { uploadOurs } from './s3-ours'

const MiB = 1024 * 1024
const sizeMiB = Number(process.argv[2] ?? 64)
const rounds = Number(process.argv[3] ?? 2)
const partSize = 8 * MiB
const dir = await mkdtemp(join('/dev/shm', 's3-probe-'))
const server = await startS3Server()
const backend = createS3Backend(server)
const data = new Uint8Array(sizeMiB * MiB)
for (let at = 0; at < data.length; at += 4096) data[at] = at & 255
const path = join(dir, 'probe.bin')
await writeFile(path, data)
const file = {
  name: 'probe.bin',
  type: 'application/octet-stream',
  size: data.length,
  metadata: {},
  meta: { name: 'probe.bin', type: 'application/octet-stream' },
}
const never = new AbortController().signal

function put(url: string, body: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'PUT', headers: { 'content-length': body.length } }, (res) => {
      res.resume()
      res.on('end', () => (res.statusCode === 200 ? resolve(String(res.headers.etag)) : reject(new Error(`${res.statusCode}`))))
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function raw(concurrency: number): Promise<number> {
  const started = performance.now()
  const { uploadId, key } = await backend.createMultipartUpload(file, never)
  const count = Math.ceil(data.length / partSize)
  const parts: { PartNumber: number; ETag: string }[] = []
  let next = 1
  const worker = async (): Promise<void> => {
    for (let number = next++; number <= count; number = next++) {
      const { url } = await backend.signPart(file, { uploadId, key, partNumber: number, signal: never })
      parts.push({ PartNumber: number, ETag: await put(url, data.subarray((number - 1) * partSize, number * partSize)) })
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  parts.sort((a, b) => a.PartNumber - b.PartNumber)
  await backend.completeMultipartUpload(file, { uploadId, key, parts, signal: never })
  return performance.now() - started
}

async function ours(concurrency: number): Promise<number> {
  const started = performance.now()
  await uploadOurs({ Upload, input: path, callbacks: backend, chunkSize: partSize, concurrency })
  return performance.now() - started
}

try {
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of [
      ['raw', raw],
      ['ours', ours],
    ] as const) {
      for (const concurrency of [1, 4]) {
        const cpu = process.cpuUsage()
        const ms = await run(concurrency)
        const used = process.cpuUsage(cpu)
        const cpuMs = (used.user + used.system) / 1000
        console.log(
          `${name} c${concurrency} ${sizeMiB} MiB: ${((sizeMiB * 1000) / ms).toFixed(1)} MiB/s (${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU)`,
        )
      }
    }
  }
} finally {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
}

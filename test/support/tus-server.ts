/**
 * A real tus 1.0 server for tests: `@tus/server` with `@tus/file-store` in a temp directory, on
 * 127.0.0.1 (port 0), CORS open to any origin so browser pages can use it.
 *
 * `@tus/server` 2.4.5 does not implement the checksum extension. With `checksum: true` this
 * starter adds it in front of the server, as the spec describes: OPTIONS lists `checksum` and
 * `Tus-Checksum-Algorithm: sha1,sha256`, and a PATCH or POST body carrying `Upload-Checksum` is
 * read whole and verified before `@tus/server` sees it: 460 (body discarded) when the digest
 * differs, 400 for an algorithm it does not know.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { FileStore } from '@tus/file-store'
import { Server } from '@tus/server'
import { tempDir } from './files'

/** Options of {@link startTusServer}. */
export interface TusServerOptions {
  /** `Tus-Max-Size` in bytes. Default: none. */
  maxSize?: number
  /** How long unfinished uploads live (expiration extension, `Upload-Expires`). Default: 1 hour. */
  expirationMs?: number
  /** Implement the checksum extension in front of `@tus/server`. Default: false. */
  checksum?: boolean
  /** Leave these extensions out of `Tus-Extension` (e.g. `creation-with-upload`). Default: none. */
  withoutExtensions?: string[]
}

/** One upload as stored on disk. */
export interface StoredUpload {
  /** Bytes in the file. */
  length: number
  /** SHA-256 (hex) of the file. */
  sha256: string
  /** `Upload-Length` the server recorded; undefined while deferred. */
  size: number | undefined
  /** Metadata as `@tus/server` decoded it (a bare key is `null`). */
  metadata: Record<string, string | null> | undefined
}

/** Counts of the checksum layer (when `checksum: true`). */
export interface ChecksumStats {
  /** Bodies whose checksum matched. */
  verified: number
  /** Bodies answered 460. */
  mismatched: number
}

/** A running tus server. */
export interface TusTestServer {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** The creation URL (`<url>/files/`). */
  endpoint: string
  /** Where uploads are stored. */
  dir: string
  /** The upload with this id as stored, or undefined when it does not exist. */
  stored(id: string): Promise<StoredUpload | undefined>
  /** The id in an upload URL (its last path segment). */
  idOf(url: string): string
  /** What the checksum layer did. */
  checksums: ChecksumStats
  /** Stops listening, closes connections and removes the directory. */
  close(): Promise<void>
}

const CHECKSUM_ALGORITHMS: Record<string, string> = { sha1: 'sha1', sha256: 'sha256' }

/**
 * Starts `@tus/server` + `@tus/file-store` on 127.0.0.1.
 * @example
 * const tus = await startTusServer({ checksum: true })
 * const { url } = await new Upload(bytes, { endpoint: tus.endpoint, protocol: 'tus' }).start()
 * expect((await tus.stored(tus.idOf(url)))?.sha256).toBe(sha256(bytes))
 */
export async function startTusServer(options: TusServerOptions = {}): Promise<TusTestServer> {
  const work = await tempDir('tus-server-')
  const store = new FileStore({ directory: work.dir, expirationPeriodInMilliseconds: options.expirationMs ?? 3_600_000 })
  if (options.checksum) store.extensions.push('checksum')
  store.extensions = store.extensions.filter((name) => !options.withoutExtensions?.includes(name))
  const tus = new Server({
    path: '/files',
    datastore: store,
    ...(options.maxSize === undefined ? {} : { maxSize: options.maxSize }),
    allowedHeaders: options.checksum ? ['Upload-Checksum'] : [],
    exposedHeaders: ['Upload-Expires', 'Tus-Checksum-Algorithm'],
  })
  const checksums: ChecksumStats = { verified: 0, mismatched: 0 }
  const server = createServer((req, res) => {
    const handled = options.checksum ? handleWithChecksums(tus, checksums, req, res) : tus.handle(req, res)
    void handled.catch(() => res.destroy())
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    endpoint: `${url}/files/`,
    dir: work.dir,
    stored: (id) => readStored(work.dir, id),
    idOf: (uploadUrl) => new URL(uploadUrl).pathname.split('/').filter(Boolean).at(-1) ?? '',
    checksums,
    close: async () => {
      await new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      })
      await work.remove()
    },
  }
}

async function handleWithChecksums(tus: Server, stats: ChecksumStats, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') res.setHeader('Tus-Checksum-Algorithm', Object.keys(CHECKSUM_ALGORITHMS).join(','))
  const checksum = req.headers['upload-checksum']
  if (typeof checksum !== 'string' || (req.method !== 'PATCH' && req.method !== 'POST')) return tus.handle(req, res)
  const body = await readAll(req)
  const [name = '', expected = ''] = checksum.split(' ')
  const algorithm = CHECKSUM_ALGORITHMS[name]
  const cors = { 'tus-resumable': '1.0.0', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'Tus-Resumable' }
  if (algorithm === undefined) {
    res.writeHead(400, cors).end('unsupported checksum algorithm\n')
    return
  }
  if (createHash(algorithm).update(body).digest('base64') !== expected) {
    stats.mismatched++
    res.writeHead(460, 'Checksum Mismatch', cors).end('checksum mismatch\n')
    return
  }
  stats.verified++
  const headers = new Headers()
  for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string') headers.set(key, value)
  const response = await tus.handleWeb(new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body: new Uint8Array(body) }))
  res.writeHead(response.status, Object.fromEntries(response.headers))
  res.end(Buffer.from(await response.arrayBuffer()))
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const pieces: Buffer[] = []
    req.on('data', (piece: Buffer) => pieces.push(piece))
    req.once('end', () => resolve(Buffer.concat(pieces)))
    req.once('error', reject)
  })
}

async function readStored(dir: string, id: string): Promise<StoredUpload | undefined> {
  if (!/^[\w-]+$/.test(id)) return undefined
  const path = join(dir, id)
  let info: { size?: number; metadata?: Record<string, string | null> }
  try {
    info = JSON.parse(await readFile(`${path}.json`, 'utf8')) as typeof info
    await stat(path)
  } catch {
    return undefined
  }
  const hash = createHash('sha256')
  let length = 0
  for await (const piece of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(piece)
    length += piece.length
  }
  return { length, sha256: hash.digest('hex'), size: info.size, metadata: info.metadata }
}

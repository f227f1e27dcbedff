/**
 * The upload servers, in the driver's process: the reference IETF server (which also takes the
 * plain POST of the ceiling rows) and `@tus/server` + `@tus/file-store`. Every upload is checked
 * against the source's SHA-256 and then deleted, so a run never fills the disk.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { startReferenceServer, type ReferenceServer } from '../test/server/index'
import { startTusServer, type TusTestServer } from '../test/support/tus-server'
import type { WireProtocol } from './configs'

/** The running servers. */
export interface BenchServers {
  /** The reference server (plain and ietf). */
  reference: ReferenceServer
  /** The tus server. */
  tus: TusTestServer
  /** Where `protocol` uploads are created (on `origin` instead of the server's own when given). */
  endpoint(protocol: WireProtocol, origin?: string): string
  /**
   * Checks the upload at `url` holds exactly `size` bytes with SHA-256 `sha256`, then deletes it.
   * Resolves with undefined when it does, else with what is wrong.
   */
  verifyAndRemove(protocol: WireProtocol, url: string, size: number, sha256: string): Promise<string | undefined>
  /** Stops both servers and removes their files. */
  close(): Promise<void>
}

/** `startTusServer()` with its files under `dir` (it makes its directory in the OS temp directory). */
async function startTusServerIn(dir: string): Promise<TusTestServer> {
  const saved = process.env.TMPDIR
  process.env.TMPDIR = dir
  try {
    return await startTusServer()
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

/**
 * Starts both servers on 127.0.0.1, storing uploads under `storageDir` (a fresh directory the
 * caller removes; the bench prefers tmpfs, so disk writeback does not time the clients).
 */
export async function startBenchServers(storageDir: string): Promise<BenchServers> {
  await mkdir(join(storageDir, 'reference'), { recursive: true })
  const reference = await startReferenceServer({ dir: join(storageDir, 'reference') })
  const tus = await startTusServerIn(storageDir)
  return {
    reference,
    tus,
    endpoint(protocol, origin) {
      const endpoint = protocol === 'tus' ? tus.endpoint : reference.endpoint
      const own = protocol === 'tus' ? tus.url : reference.url
      return origin === undefined ? endpoint : origin + endpoint.slice(own.length)
    },
    verifyAndRemove: (protocol, url, size, sha256) => (protocol === 'tus' ? verifyTus(tus, url, size, sha256) : verifyReference(reference, url, size, sha256)),
    async close() {
      await tus.close()
      await reference.close()
    },
  }
}

async function verifyReference(server: ReferenceServer, url: string, size: number, sha256: string): Promise<string | undefined> {
  let id: string
  try {
    id = server.uploadIdFromUrl(url)
  } catch {
    return `not an upload URL of the reference server: ${url}`
  }
  const info = await server.upload(id)
  await server.forget(id)
  if (!info) return `upload ${id} not found`
  if (info.offset !== size) return `stored ${info.offset} bytes, expected ${size}`
  if (!info.complete) return 'the upload is not complete'
  return info.sha256 === sha256 ? undefined : `stored SHA-256 ${info.sha256} differs from the source's ${sha256}`
}

async function verifyTus(server: TusTestServer, url: string, size: number, sha256: string): Promise<string | undefined> {
  const id = server.idOf(url)
  const stored = await server.stored(id)
  await rm(join(server.dir, id), { force: true })
  await rm(join(server.dir, `${id}.json`), { force: true })
  if (!stored) return `tus upload ${id} not found`
  if (stored.length !== size) return `stored ${stored.length} bytes, expected ${size}`
  return stored.sha256 === sha256 ? undefined : `stored SHA-256 ${stored.sha256} differs from the source's ${sha256}`
}

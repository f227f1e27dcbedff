/**
 * A real Azure Blob emulator for tests: Azurite 3.35.0 (the last that runs on Node 20) as a child
 * process on 127.0.0.1, on a free port, with a temp directory; one container whose blob service
 * CORS rule lets a browser PUT blocks and GET the block list; SAS URLs minted with
 * `@azure/storage-blob` and the emulator's well-known account key.
 *
 * What Azurite does, measured (test/integration/azure.test.ts proves each point):
 * - Put Block answers `201` with no `ETag` (a block has none); Put Block List answers `201` with
 *   the blob's `ETag` (`"0x…"`), `Last-Modified` and `Content-MD5`; `x-ms-blob-content-type` sets
 *   the blob's Content-Type. A 0-byte Put Block is accepted (`201`).
 * - Get Block List (`blocklisttype=uncommitted`) answers `200` with
 *   `<BlockList><CommittedBlocks/><UncommittedBlocks><Block><Name>id</Name><Size>n</Size></Block>…`
 *   (no whitespace); for a blob with no block at all, `404` with `x-ms-error-code: BlobNotFound`.
 *   Put Block List naming a block it does not hold: `400 InvalidBlockList`.
 * - An expired SAS (`se` in the past), a tampered signature, a missing SAS and a container that
 *   does not exist all answer `403` `AuthorizationFailure` with the same generic message ("Server
 *   failed to authenticate the request…"), no `AuthenticationErrorDetail`. (Azure answers
 *   `403 AuthenticationFailed` with a detail naming the time frame.) So an expired SAS is told by
 *   its own `se`.
 * - CORS (set through the blob service properties): a preflight is answered from the rule alone,
 *   also for an expired SAS (echoing the origin, the method and the requested headers); answers
 *   carry `Access-Control-Allow-Origin: *` and, with `exposedHeaders: '*'`, expose their own
 *   headers (`x-ms-error-code` included).
 * - It prints "successfully listens" on stdout once up, even with `--silent` (access log off).
 */
import { BlobSASPermissions, BlobServiceClient, StorageSharedKeyCredential, generateBlobSASQueryParameters } from '@azure/storage-blob'
import { spawn, type ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Azurite's built-in account. */
export const AZURITE_ACCOUNT = 'devstoreaccount1'

/** Azurite's well-known key (public, documented by Microsoft). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

/** The container every test uses. */
export const AZURITE_CONTAINER = 'uploads'

/** Options of {@link startAzurite}. */
export interface AzuriteOptions {
  /** Origins allowed by the CORS rule. Default: `['*']`. */
  corsOrigins?: readonly string[]
}

/** A running Azurite. */
export interface Azurite {
  /** `http://127.0.0.1:<port>/devstoreaccount1`. */
  accountUrl: string
  /** The container's URL, without a SAS. */
  containerUrl: string
  /** The blob service client (shared key). */
  service: BlobServiceClient
  /** A blob's URL without a SAS. */
  blobUrl(name: string): string
  /** A blob's URL with a SAS (create, write, read) that expires at `expiresOn` (default: in an hour). */
  sasUrl(name: string, expiresOn?: Date): string
  /** The SHA-256 (hex) and length of the committed blob, downloaded. */
  sha256Of(name: string): Promise<{ sha256: string; length: number }>
  /** Stops Azurite and removes its directory. */
  close(): Promise<void>
}

/** Starts Azurite, creates the container and sets the blob service's CORS rule. */
export async function startAzurite(options: AzuriteOptions = {}): Promise<Azurite> {
  const dir = await mkdtemp(join(tmpdir(), 'azurite-'))
  const port = await freePort()
  const child = spawn(
    process.execPath,
    [
      'node_modules/azurite/dist/src/blob/main.js',
      ...['--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', dir],
      ...['--silent', '--skipApiVersionCheck', '--loose', '--disableTelemetry'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`
  try {
    await listening(child)
  } catch (error) {
    child.kill('SIGKILL')
    await rm(dir, { recursive: true, force: true })
    throw error
  }
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)
  const service = new BlobServiceClient(accountUrl, credential)
  const container = service.getContainerClient(AZURITE_CONTAINER)
  await container.createIfNotExists()
  await service.setProperties({
    cors: [
      {
        allowedOrigins: (options.corsOrigins ?? ['*']).join(','),
        allowedMethods: 'GET,PUT,OPTIONS',
        allowedHeaders: '*',
        exposedHeaders: '*',
        maxAgeInSeconds: 60,
      },
    ],
  })
  const blobUrl = (name: string): string => container.getBlockBlobClient(name).url
  return {
    accountUrl,
    containerUrl: container.url,
    service,
    blobUrl,
    sasUrl(name, expiresOn = new Date(Date.now() + 3_600_000)) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: AZURITE_CONTAINER,
          blobName: name,
          permissions: BlobSASPermissions.parse('rcw'),
          startsOn: new Date(Math.min(Date.now(), expiresOn.getTime()) - 3_600_000),
          expiresOn,
        },
        credential,
      )
      return `${blobUrl(name)}?${sas.toString()}`
    },
    async sha256Of(name) {
      const bytes = await container.getBlockBlobClient(name).downloadToBuffer()
      return { sha256: createHash('sha256').update(bytes).digest('hex'), length: bytes.length }
    },
    async close() {
      // Azurite may have exited already: a Ctrl-C in a terminal reaches the whole process group.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGTERM')
        await exited
      }
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** The SHA-256 (hex) of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

/** Resolves once Azurite prints that it listens (it does even with --silent), rejects when it exits first. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = ''
    const read = (data: Buffer): void => {
      output += data.toString()
      if (output.includes('successfully listens')) resolve()
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()))
    child.once('exit', (code) => reject(new Error(`azurite exited with ${String(code)}: ${output}`)))
  })
}

/**
 * Everything `npm run demo` runs, on 127.0.0.1 only: the page server (the demo, dist/, the React
 * demo, and the `/api/` backend of ./api.ts on the same origin), the IETF reference server, a tus
 * server, s3rver, Azurite and the GCS emulator. The storage servers come from test/support, as
 * the tests use them; each lets the page's origin in (CORS). The Playwright demo spec starts the
 * same set with free ports.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ReferenceServer } from '../test/server'
import { startStaticServer, type StaticServer } from '../test/support/static-server'
import { demoApi, type DemoServices, type PageServices } from './api'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** The page's port (0: a free one). Default: 0. */
  port?: number
  /** The IETF reference server's port (0: a free one). Default: 0. */
  uploadPort?: number
  /** Where the reference server keeps uploads. Default: a temp directory removed on close. */
  uploadDir?: string
  /** Build the React demo (Vite) and serve it at `/react/`. Default: true. */
  react?: boolean
  /** Called once the page, the IETF and tus servers run (before the storage emulators): the page's origin and one line per server. */
  onPageReady?: (page: { url: string; lines: string[] }) => void
  /** Aborting it during startup stops what has started and rejects. */
  signal?: AbortSignal
}

/** The running demo. */
export interface Demo extends DemoServices {
  /** The page's origin, e.g. `http://127.0.0.1:5173`. */
  url: string
  /** The origins the servers let in: the page as `127.0.0.1` and as `localhost`. */
  pageOrigins: string[]
  /** One line per server: what it is and where. */
  describe(): string[]
  /** Stops every server and removes their temp directories. */
  close(): Promise<void>
}

/**
 * Starts the demo in two steps. First the page, the IETF and tus servers and the React build,
 * as the demo always started (then `onPageReady` hears of them); then the storage emulators,
 * which would otherwise slow the page down: Azurite (a child process, the slowest) first, s3rver
 * and the GCS emulator beside it. `/api/` requests wait for what they need. Resolves once
 * everything runs. When one server fails to start, the others are stopped and the error is thrown.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const pageServices = deferred<PageServices>()
  const services = deferred<DemoServices>()
  const reactDir = options.react === false ? undefined : await mkdtemp(join(tmpdir(), 'resumable-upload-demo-react-'))
  const mounts = { '/': `${root}/demo`, '/dist/': `${root}/dist`, ...(reactDir ? { '/react/': reactDir } : {}) }
  const pages = await startStaticServer(mounts, options.port ?? 0, demoApi(pageServices.promise, services.promise)).catch(async (error: unknown) => {
    if (reactDir) await rm(reactDir, { recursive: true, force: true })
    throw error
  })
  const pageOrigins = [pages.url, pages.url.replace('//127.0.0.1:', '//localhost:')]
  const started: Closable[] = [pages]
  const starting: Promise<unknown>[] = []
  const start: Starter = (server) => {
    const up = server.then((value) => (started.push(value), value))
    starting.push(up)
    return up
  }
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.close()))
    if (reactDir) await rm(reactDir, { recursive: true, force: true })
  }
  try {
    const [tus, uploads] = await untilAborted(options.signal, [
      start(import('../test/support/tus-server').then(({ startTusServer }) => startTusServer())),
      start(startUploads(options, pageOrigins)),
      reactDir ? import('./build-react').then(({ buildReactDemo }) => buildReactDemo(reactDir)) : undefined,
    ])
    pageServices.resolve({ tus, uploads })
    options.onPageReady?.({ url: pages.url, lines: pageLines(pages, { tus, uploads }) })
    const storage = await startStorage(pageOrigins, start, options.signal)
    const running: DemoServices = { ...storage, tus, uploads }
    services.resolve(running)
    return {
      ...running,
      url: pages.url,
      pageOrigins,
      describe: () => [...pageLines(pages, running), ...storageLines(pages, running)],
      close: closeAll,
    }
  } catch (error) {
    pageServices.reject(error)
    services.reject(error)
    // Stop the servers that did start, once the others have failed or started too.
    await Promise.allSettled(starting)
    await closeAll()
    throw error
  }
}

/** Something startDemo stops on close. */
type Closable = { close(): Promise<unknown> }

/** Notes a server being started, so that startDemo can close it. */
type Starter = <T extends Closable>(server: Promise<T>) => Promise<T>

/** The storage emulators and the S3 backend, each letting `pageOrigins` in. */
async function startStorage(pageOrigins: string[], start: Starter, signal: AbortSignal | undefined): Promise<Omit<DemoServices, keyof PageServices>> {
  // Azurite boots in a child process (seconds): spawn it before loading the other servers' modules.
  const { startAzurite } = await import('../test/support/azurite')
  const azuriteUp = start(startAzurite({ corsOrigins: pageOrigins }))
  const s3Up = import('../test/support/s3-server').then(({ startS3Server }) => startS3Server({ corsOrigins: pageOrigins }))
  const [azurite, s3, s3Backend, gcs] = await untilAborted(signal, [
    azuriteUp,
    start(s3Up.then((server) => ({ server, close: () => server.stop() }))).then(({ server }) => server),
    s3Up.then(async (server) => (await import('../test/support/s3-backend')).createS3Backend(server)),
    start(import('../test/support/gcs-emulator').then(({ startGcsEmulator }) => startGcsEmulator())),
  ])
  return { azurite, s3, s3Backend, gcs }
}

/** `Promise.all(steps)`, or a rejection as soon as `signal` aborts. */
function untilAborted<T extends readonly unknown[]>(signal: AbortSignal | undefined, steps: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  signal?.throwIfAborted()
  const aborted = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }))
  return Promise.race([Promise.all(steps), aborted])
}

/** A promise with its resolve and reject at hand; a rejection nobody awaits is not reported (startDemo throws it). */
function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(error: unknown): void } {
  let resolve: (value: T) => void = () => {}
  let reject: (error: unknown) => void = () => {}
  const promise = new Promise<T>((done, fail) => ((resolve = done), (reject = fail)))
  promise.catch(() => {})
  return { promise, resolve, reject }
}

/** The IETF reference server: CORS for the page, its `/__control/` routes for the page's "Drop the connection" button. */
async function startUploads(options: DemoOptions, pageOrigins: string[]): Promise<ReferenceServer> {
  const { PUBLIC_DEFAULTS, startReferenceServer } = await import('../test/server')
  return startReferenceServer({
    port: options.uploadPort ?? 0,
    dir: options.uploadDir,
    limits: { maxSize: PUBLIC_DEFAULTS.maxSize },
    cors: { origins: pageOrigins },
    control: true,
  })
}

/** What the first step started. */
function pageLines(pages: StaticServer, services: PageServices): string[] {
  return [
    `Demo page:     ${pages.url}/  (backend routes under ${pages.url}/api/)`,
    `React demo:    ${pages.url}/react/?endpoint=${encodeURIComponent(services.uploads.endpoint)}  (IETF)`,
    `IETF:          ${services.uploads.endpoint}  (reference server; files in ${services.uploads.dir})`,
    `tus:           ${services.tus.endpoint}  (@tus/server + @tus/file-store)`,
  ]
}

/** What the second step started. */
function storageLines(pages: StaticServer, services: DemoServices): string[] {
  return [
    `S3:            ${services.s3.endpoint}/${services.s3.bucket}  (s3rver; presigned by ${pages.url}/api/s3/)`,
    `Azure Blob:    ${services.azurite.containerUrl}  (Azurite; SAS from ${pages.url}/api/azure/sas)`,
    `GCS:           ${services.gcs.url}  (emulator in test/support; sessions from ${pages.url}/api/gcs/session)`,
  ]
}

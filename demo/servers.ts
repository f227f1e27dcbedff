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
import { demoApi, type DemoServices } from './api'

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
 * Starts the demo. The servers start side by side; Azurite (a child process, the slowest) first.
 * When one fails to start, the others are stopped and the error is thrown.
 */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  let servicesUp: (services: DemoServices) => void = () => {}
  let servicesFailed: (error: unknown) => void = () => {}
  const services = new Promise<DemoServices>((resolve, reject) => ((servicesUp = resolve), (servicesFailed = reject)))
  services.catch(() => {}) // the failure is thrown below; /api/ requests see it too.
  const reactDir = options.react === false ? undefined : await mkdtemp(join(tmpdir(), 'resumable-upload-demo-react-'))
  const mounts = { '/': `${root}/demo`, '/dist/': `${root}/dist`, ...(reactDir ? { '/react/': reactDir } : {}) }
  const pages = await startStaticServer(mounts, options.port ?? 0, demoApi(services))
  const pageOrigins = [pages.url, pages.url.replace('//127.0.0.1:', '//localhost:')]
  const started: Array<{ close(): Promise<unknown> }> = [pages]
  const starting: Promise<unknown>[] = []
  const start = <T extends { close(): Promise<unknown> }>(server: Promise<T>): Promise<T> => {
    const up = server.then((value) => (started.push(value), value))
    starting.push(up)
    return up
  }
  const closeAll = async (): Promise<void> => {
    await Promise.allSettled(started.map((server) => server.close()))
    if (reactDir) await rm(reactDir, { recursive: true, force: true })
  }
  try {
    // Azurite boots in a child process (seconds): spawn it before loading the other servers' modules.
    const { startAzurite } = await import('../test/support/azurite')
    const azuriteUp = startAzurite({ corsOrigins: pageOrigins })
    const s3 = import('../test/support/s3-server').then(({ startS3Server }) => startS3Server({ corsOrigins: pageOrigins }))
    const [azurite, s3Server, s3Backend, gcs, tus, uploads] = await Promise.all([
      start(azuriteUp),
      start(s3.then((server) => ({ server, close: () => server.stop() }))).then(({ server }) => server),
      s3.then(async (server) => (await import('../test/support/s3-backend')).createS3Backend(server)),
      start(import('../test/support/gcs-emulator').then(({ startGcsEmulator }) => startGcsEmulator())),
      start(import('../test/support/tus-server').then(({ startTusServer }) => startTusServer())),
      start(startUploads(options, pageOrigins)),
      reactDir ? import('./build-react').then(({ buildReactDemo }) => buildReactDemo(reactDir)) : undefined,
    ])
    const running: DemoServices = { azurite, s3: s3Server, s3Backend, gcs, tus, uploads }
    servicesUp(running)
    return { ...running, url: pages.url, pageOrigins, describe: () => describe(pages, running), close: closeAll }
  } catch (error) {
    servicesFailed(error)
    // Stop the servers that did start, once the others have failed or started too.
    await Promise.allSettled(starting)
    await closeAll()
    throw error
  }
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

function describe(pages: StaticServer, services: DemoServices): string[] {
  return [
    `Demo page:     ${pages.url}/  (backend routes under ${pages.url}/api/)`,
    `React demo:    ${pages.url}/react/?endpoint=${encodeURIComponent(services.uploads.endpoint)}  (IETF)`,
    `IETF:          ${services.uploads.endpoint}  (reference server; files in ${services.uploads.dir})`,
    `tus:           ${services.tus.endpoint}  (@tus/server + @tus/file-store)`,
    `S3:            ${services.s3.endpoint}/${services.s3.bucket}  (s3rver; presigned by ${pages.url}/api/s3/)`,
    `Azure Blob:    ${services.azurite.containerUrl}  (Azurite; SAS from ${pages.url}/api/azure/sas)`,
    `GCS:           ${services.gcs.url}  (emulator in test/support; sessions from ${pages.url}/api/gcs/session)`,
  ]
}

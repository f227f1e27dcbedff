/**
 * `npm run demo`: starts the reference upload server and serves the demo page, both on 127.0.0.1.
 * Ports: DEMO_PORT (page, default 5173) and UPLOAD_PORT (uploads, default 4000); 0 picks free ones.
 * The upload server lets only the demo's own origin use it (CORS), and serves its fault-injection
 * routes (the "Drop the connection" button) to that origin only; the server's public defaults apply.
 */
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { PUBLIC_DEFAULTS, startReferenceServer } from '../test/server'
import { startStaticServer } from '../test/support/static-server'
import { buildReactDemo } from './build-react'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(`${root}/dist/resumable-upload.min.js`)) {
  console.error('dist/ is missing: run `npm run build` first (`npm run demo` does it for you).')
  process.exit(1)
}

/** Starts something, or exits with a one-line message (a port in use, say) instead of a stack trace. */
async function orExit<T>(what: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start()
  } catch (error) {
    console.error(`${what}: ${error instanceof Error ? error.message.split('\n', 1)[0] : String(error)}`)
    process.exit(1)
  }
}

const reactDir = await mkdtemp(join(tmpdir(), 'resumable-upload-demo-react-'))
await buildReactDemo(reactDir)
const pages = await orExit('demo page server', () =>
  startStaticServer({ '/': `${root}/demo`, '/dist/': `${root}/dist`, '/react/': reactDir }, Number(process.env.DEMO_PORT ?? 5173)),
)
// The page may be opened as 127.0.0.1 or as localhost: both are the demo's own origin.
const pageOrigins = [pages.url, pages.url.replace('//127.0.0.1:', '//localhost:')]
const uploads = await orExit('upload server', () =>
  startReferenceServer({
    port: Number(process.env.UPLOAD_PORT ?? 4000),
    dir: process.env.UPLOAD_DIR,
    limits: { maxSize: PUBLIC_DEFAULTS.maxSize },
    cors: { origins: pageOrigins },
    control: true,
  }),
)
const query = `?endpoint=${encodeURIComponent(uploads.endpoint)}`
console.log(`Upload server: ${uploads.endpoint} (files in ${uploads.dir}; open to ${pageOrigins.join(' and ')})`)
console.log(`Demo:          ${pages.url}/${query}`)
console.log(`React demo:    ${pages.url}/react/${query}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([pages.close(), uploads.close()]).then(() => process.exit(0))
  })
}

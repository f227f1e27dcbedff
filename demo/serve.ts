/**
 * `npm run demo`: serves the demo page and starts, on 127.0.0.1 only, the servers it uploads to:
 * the IETF reference server, a tus server, s3rver, Azurite and the GCS emulator, plus the page's
 * backend routes (`/api/`, same origin: S3 presigning, Azure SAS, GCS sessions, stored SHA-256).
 * Ports: DEMO_PORT (page, default 5173) and UPLOAD_PORT (IETF uploads, default 4000); 0 picks free
 * ones; the storage servers take free ports. UPLOAD_DIR keeps IETF uploads there. Every server
 * lets only the demo's own origin in (CORS; the tus server, a test server, any origin); the
 * reference server serves its fault-injection routes (the "Drop the connection" button) to that
 * origin only. Ctrl-C (SIGINT) or SIGTERM stops them all.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startDemo } from './servers'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(`${root}/dist/resumable-upload.min.js`)) {
  console.error('dist/ is missing: run `npm run build` first (`npm run demo` does it for you).')
  process.exit(1)
}

const began = performance.now()
const seconds = (): string => `${((performance.now() - began) / 1000).toFixed(1)} s`
// Ctrl-C or SIGTERM: during startup, startDemo stops what has started (and the process exits
// below); afterwards, every server stops and then the process exits.
const starting = new AbortController()
let stop = (): void => starting.abort(new Error('stopped during startup'))
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop())
const demo = await startDemo({
  port: Number(process.env.DEMO_PORT ?? 5173),
  uploadPort: Number(process.env.UPLOAD_PORT ?? 4000),
  uploadDir: process.env.UPLOAD_DIR,
  signal: starting.signal,
  onPageReady({ url, lines }) {
    for (const line of lines) console.log(line)
    console.log(`Page ready in ${seconds()}: open ${url}/ (IETF and tus now; S3, Azure Blob and GCS in a few seconds)`)
  },
}).catch((error: unknown) => {
  // One line (a port in use, say) instead of a stack trace.
  console.error(`demo: ${error instanceof Error ? error.message.split('\n', 1)[0] : String(error)}`)
  process.exit(starting.signal.aborted ? 0 : 1)
})
stop = () => void demo.close().then(() => process.exit(0))
for (const line of demo.describe().slice(-3)) console.log(line)
console.log(`All servers ready in ${seconds()}. Ctrl-C stops them all.`)

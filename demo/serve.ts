/**
 * `npm run demo`: starts the reference upload server and serves the demo page, both on 127.0.0.1.
 * Ports: DEMO_PORT (page, default 5173) and UPLOAD_PORT (uploads, default 4000); 0 picks free ones.
 */
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { startReferenceServer } from '../test/server'
import { startStaticServer } from '../test/support/static-server'
import { buildReactDemo } from './build-react'

const root = fileURLToPath(new URL('..', import.meta.url))
if (!existsSync(`${root}/dist/resumable-upload.min.js`)) {
  console.error('dist/ is missing: run `npm run build` first (`npm run demo` does it for you).')
  process.exit(1)
}

const reactDir = await mkdtemp(join(tmpdir(), 'resumable-upload-demo-react-'))
await buildReactDemo(reactDir)
const uploads = await startReferenceServer({ port: Number(process.env.UPLOAD_PORT ?? 4000), dir: process.env.UPLOAD_DIR })
const pages = await startStaticServer({ '/': `${root}/demo`, '/dist/': `${root}/dist`, '/react/': reactDir }, Number(process.env.DEMO_PORT ?? 5173))
const query = `?endpoint=${encodeURIComponent(uploads.endpoint)}`
console.log(`Upload server: ${uploads.endpoint} (files in ${uploads.dir})`)
console.log(`Demo:          ${pages.url}/${query}`)
console.log(`React demo:    ${pages.url}/react/${query}`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all([pages.close(), uploads.close()]).then(() => process.exit(0))
  })
}

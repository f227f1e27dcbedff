/**
 * Sizes of the S3 section: what `import { s3 } from 'resumable-upload/s3'` adds to an app that
 * imports `{ Upload }`, against the alternatives an app would ship for the same job:
 * `@aws-sdk/lib-storage` + `@aws-sdk/client-s3` (the issue measured 110 kB gzip) and
 * `@uppy/core` + `@uppy/aws-s3`. Minified and gzip -9 bytes of every chunk (each gzipped on its
 * own, then added).
 *
 * - Ours is built twice the way bench/bundles.ts builds the app rows (rollup, node-resolve for
 *   browsers, terser): `{ Upload }` alone and `{ Upload }` + `{ s3 }`; the difference is what s3
 *   adds (shared modules counted once).
 * - The alternatives have CommonJS dependencies (lib-storage: `buffer`, `events`,
 *   `stream-browserify`), which rollup cannot bundle without @rollup/plugin-commonjs (not
 *   installed); so they, and ours again for comparison, are built with Vite (Rolldown, browser
 *   resolution, its minifier).
 *
 * `npx tsx bench/s3-size.ts` prints the rows without the rest of the bench.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build, type Plugin, type Rollup } from 'vite'
import { buildApp } from './bundles'
import type { SizeResult } from './results'
import { measureFiles } from './size'

const ROOT = resolve(import.meta.dirname, '..')
const INDEX = JSON.stringify(join(ROOT, 'src', 'index.ts'))
const S3 = JSON.stringify(join(ROOT, 'src', 's3.ts'))

/** Entries measured, by name. */
const ENTRIES = {
  upload: `export { Upload } from ${INDEX}\n`,
  uploadS3: `export { Upload } from ${INDEX}\nexport { s3 } from ${S3}\n`,
  libStorage: `export { Upload } from '@aws-sdk/lib-storage'\nexport { S3Client } from '@aws-sdk/client-s3'\n`,
  uppy: `export { default as Uppy } from '@uppy/core'\nexport { default as AwsS3 } from '@uppy/aws-s3'\n`,
}

function virtualEntry(code: string): Plugin {
  const id = '\0s3-size-entry'
  return {
    name: 's3-size-entry',
    enforce: 'pre',
    // Vite may hand the lib entry over as a path under its root.
    resolveId: (source) => (source.endsWith('virtual:s3-size-entry') ? id : null),
    load: (source) => (source === id ? code : null),
  }
}

/** min and gzip -9 bytes of an app whose entry is `code`, built with Vite (all chunks, each gzipped). */
async function viteSize(name: string, code: string, note: string): Promise<SizeResult> {
  const built = (await build({
    configFile: false,
    root: ROOT,
    logLevel: 'silent',
    plugins: [virtualEntry(code)],
    build: { lib: { entry: 'virtual:s3-size-entry', formats: ['es'], fileName: 'app' }, write: false, minify: true, reportCompressedSize: false },
  })) as Rollup.RollupOutput[]
  let minBytes = 0
  let gzipBytes = 0
  for (const item of built.flatMap((output) => output.output)) {
    if (item.type !== 'chunk') continue
    const bytes = Buffer.from(item.code)
    minBytes += bytes.length
    gzipBytes += gzipSync(bytes, { level: 9 }).length
  }
  return { name, minBytes, gzipBytes, note }
}

function difference(name: string, whole: SizeResult, part: SizeResult, note: string): SizeResult {
  return { name, minBytes: whole.minBytes - part.minBytes, gzipBytes: whole.gzipBytes - part.gzipBytes, note }
}

/** The size rows of the S3 section. */
export async function measureS3Sizes(): Promise<SizeResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'resumable-upload-s3-size-'))
  try {
    const upload = await buildApp(dir, 'app-upload', ENTRIES.upload)
    const uploadS3 = await buildApp(dir, 'app-upload-s3', ENTRIES.uploadS3)
    const rollupNote = 'rollup + node-resolve + terser, every chunk (as bench/bundles.ts)'
    const oursUpload = await measureFiles('ours { Upload }', upload.files, rollupNote)
    const oursUploadS3 = await measureFiles('ours { Upload } + { s3 }', uploadS3.files, rollupNote)
    const viteNote = 'Vite (Rolldown, browser resolution, minified), every chunk'
    const viteUpload = await viteSize('ours { Upload } (Vite)', ENTRIES.upload, viteNote)
    const viteUploadS3 = await viteSize('ours { Upload } + { s3 } (Vite)', ENTRIES.uploadS3, viteNote)
    return [
      difference('import { s3 } adds', oursUploadS3, oursUpload, `${rollupNote}: { Upload } + { s3 } minus { Upload }`),
      oursUploadS3,
      difference('import { s3 } adds (Vite)', viteUploadS3, viteUpload, `${viteNote}: { Upload } + { s3 } minus { Upload }`),
      viteUploadS3,
      await viteSize('@aws-sdk/lib-storage + @aws-sdk/client-s3', ENTRIES.libStorage, `${viteNote}: { Upload } + { S3Client }`),
      await viteSize('@uppy/core + @uppy/aws-s3', ENTRIES.uppy, `${viteNote}: Uppy + AwsS3`),
    ]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The size rows as a text table. */
export function renderS3Sizes(rows: readonly SizeResult[]): string {
  const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`
  const lines = rows.map((row) => `| ${row.name} | ${kb(row.minBytes)} | ${kb(row.gzipBytes)} | ${row.note} |`)
  return ['| S3 size | min | min+gzip -9 | how |', '|---|---|---|---|', ...lines].join('\n') + '\n'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(renderS3Sizes(await measureS3Sizes()))
}

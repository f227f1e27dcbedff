/**
 * Sizes of the Azure section: what `import { azureBlob } from 'resumable-upload/azure'` adds to an
 * app that imports `{ Upload }`, next to `@azure/storage-blob`'s browser bundle for the same job
 * (`import { BlockBlobClient }`). All built the same way as bench/bundles.ts builds the app rows
 * (rollup, node-resolve for browsers, terser), every chunk minified and gzip -9 on its own, then
 * added. `npx tsx bench/azure-size.ts` prints the rows alone.
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildApp } from './bundles'
import type { SizeResult } from './results'
import { measureFiles } from './size'

const ROOT = resolve(import.meta.dirname, '..')
const INDEX = JSON.stringify(join(ROOT, 'src', 'index.ts'))
const AZURE = JSON.stringify(join(ROOT, 'src', 'azure.ts'))

/** Entries measured, by name. */
const ENTRIES = {
  upload: `export { Upload } from ${INDEX}\n`,
  uploadAzure: `export { Upload } from ${INDEX}\nexport { azureBlob } from ${AZURE}\n`,
  azureSdk: `export { BlockBlobClient } from '@azure/storage-blob'\n`,
}

function difference(name: string, whole: SizeResult, part: SizeResult, note: string): SizeResult {
  return { name, minBytes: whole.minBytes - part.minBytes, gzipBytes: whole.gzipBytes - part.gzipBytes, note }
}

/** The size rows of the Azure section. */
export async function measureAzureSizes(): Promise<SizeResult[]> {
  const dir = await mkdtemp(join(tmpdir(), 'resumable-upload-azure-size-'))
  try {
    const note = 'rollup + node-resolve (browser) + terser, every chunk (as bench/bundles.ts)'
    const upload = await measureFiles('ours { Upload }', (await buildApp(dir, 'app-upload', ENTRIES.upload)).files, note)
    const uploadAzure = await measureFiles('ours { Upload } + { azureBlob }', (await buildApp(dir, 'app-upload-azure', ENTRIES.uploadAzure)).files, note)
    const sdk = await measureFiles('@azure/storage-blob { BlockBlobClient }', (await buildApp(dir, 'app-azure-sdk', ENTRIES.azureSdk)).files, note)
    return [difference('import { azureBlob } adds', uploadAzure, upload, `${note}: { Upload } + { azureBlob } minus { Upload }`), uploadAzure, sdk]
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** The size rows as a text table. */
export function renderAzureSizes(rows: readonly SizeResult[]): string {
  const kb = (bytes: number): string => `${(bytes / 1000).toFixed(1)} kB`
  const lines = rows.map((row) => `| ${row.name} | ${kb(row.minBytes)} | ${kb(row.gzipBytes)} | ${row.note} |`)
  return ['| Azure size | min | min+gzip -9 | how |', '|---|---|---|---|', ...lines].join('\n') + '\n'
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(renderAzureSizes(await measureAzureSizes()))
}

/**
 * Size: minified and gzip -9 bytes of what a browser downloads, ours and tus-js-client's.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { Bundles } from './bundles'
import type { SizeResult } from './results'

async function measureFiles(name: string, files: string[], note: string): Promise<SizeResult> {
  let minBytes = 0
  let gzipBytes = 0
  for (const file of files) {
    const bytes = await readFile(file)
    minBytes += bytes.length
    gzipBytes += gzipSync(bytes, { level: 9 }).length
  }
  return { name, minBytes, gzipBytes, note }
}

/** The size rows. Files loaded separately are gzipped separately and summed. */
export async function measureSizes(bundles: Bundles): Promise<SizeResult[]> {
  const [entry = '', ...chunks] = bundles.oursApp.files
  const rows = [
    await measureFiles('ours: browser entry, app importing { Upload }', [entry], 'rollup + node-resolve (browser) + terser; ES module entry chunk; what an IETF upload loads'),
    await measureFiles('ours: + on-demand chunk for protocol \'tus\'', [entry, ...chunks], `entry + ${chunks.map((chunk) => basename(chunk)).join(', ') || 'no chunk'}, each gzipped`),
    await measureFiles('ours: script-tag bundle resumable-upload.min.js', bundles.scriptTag.files, 'the IIFE build of rollup.config.mjs: the whole API, tus inlined'),
    await measureFiles('tus-js-client: dist/tus.min.js', bundles.tusJsScriptTag.files, 'tus-js-client 4.3.1 browser bundle as published (UMD, whole API)'),
  ]
  return rows
}

/**
 * Builds what the browser rows load and what the size rows measure, with rollup, into a temporary
 * directory (never `dist`, which others may be rebuilding):
 * - the script-tag bundle, from the IIFE build of `rollup.config.mjs` (its input, plugins and
 *   output options; only the output file and the TypeScript output directory differ);
 * - an app that imports `{ Upload }` from `src/index.ts`, bundled for browsers and minified the
 *   way an app would (node-resolve, terser), with code splitting: what few uploads need (the tus
 *   protocol, the fetch transport, stream sources, the IndexedDB store) are chunks loaded on
 *   demand; and the same for `{ useUpload }` from `src/react/index.ts` (React external). Their
 *   source maps attribute each minified byte to its module (`ChunkContents`);
 * - the Node client of the Node rows (`node-client.ts` with our `src/node.ts`, mitt and p-retry
 *   bundled, unminified like `dist/node.js`; tus-js-client imported from node_modules), so client
 *   processes run plain JavaScript: no tsx loader in their CPU time and RSS, no `__name` wrappers
 *   (tsx's keepNames) in our hot paths, as users get it.
 * tus-js-client is measured by its own browser bundle, `dist/tus.min.js` (bundling its ESM build
 * for an app needs @rollup/plugin-commonjs for its CommonJS dependencies, which is not installed).
 * @module
 */
import { builtinModules } from 'node:module'
import { join, relative, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import { rollup, type InputOptions, type OutputChunk, type OutputOptions, type Plugin, type RollupOptions } from 'rollup'

/** A built bundle: its files, the entry first. */
export interface BuiltBundle {
  /** Absolute paths; the entry first, then chunks it loads on demand. */
  files: string[]
  /** Per file (same order as `files`), what is in it; only for bundles built here with source maps. */
  chunks?: ChunkContents[]
}

/** What one minified chunk holds, from its source map. */
export interface ChunkContents {
  /** Absolute path of the chunk. */
  file: string
  /** Whether the page loads it with the entry (the entry and its static imports), not on demand. */
  initial: boolean
  /** Module ids whose code is in the chunk (rollup's list, tree-shaken ones included). */
  moduleIds: string[]
  /**
   * Minified bytes per source module (a path relative to the project, `node_modules/<package>`
   * for dependencies), attributed through the source map; `(glue)` is what maps to no source
   * (rollup's import/export statements, terser's joins).
   */
  bytesBySource: Record<string, number>
}

/** What the browser rows load and the size rows measure. */
export interface Bundles {
  /** `resumable-upload.min.js` (IIFE, global `ResumableUpload`). */
  scriptTag: BuiltBundle
  /** An app importing our `Upload` (ES module + the chunks it loads on demand: tus, fetch, streams…). */
  oursApp: BuiltBundle
  /** An app importing our `useUpload` (React itself external). */
  oursReact: BuiltBundle
  /** tus-js-client's own browser bundle, `dist/tus.min.js`. */
  tusJsScriptTag: BuiltBundle
}

const ROOT = resolve(import.meta.dirname, '..')

/** The script-tag bundle's file name; the files it loads on demand sit next to it. */
const SCRIPT_TAG_ENTRY = 'resumable-upload.min.js'

function isRollupOptions(value: unknown): value is RollupOptions {
  return typeof value === 'object' && value !== null && 'input' in value
}

function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && 'name' in value
}

/** The script-tag build of the project's rollup config (the one whose entry is `resumable-upload.min.js`). */
async function scriptTagConfig(): Promise<{ input: InputOptions; output: OutputOptions }> {
  const module: unknown = await import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href)
  const configs: unknown = typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined
  const list: unknown[] = Array.isArray(configs) ? configs : [configs]
  for (const config of list) {
    if (!isRollupOptions(config)) continue
    const output = Array.isArray(config.output) ? config.output[0] : config.output
    if (output?.entryFileNames === SCRIPT_TAG_ENTRY) return { input: config, output }
  }
  throw new Error(`rollup.config.mjs has no build of ${SCRIPT_TAG_ENTRY}`)
}

/** TypeScript for the bench's builds: the project's tsconfig, emitting JS only into `outDir`. */
function typescriptPlugin(outDir: string, rootDir = join(ROOT, 'src'), sourceMap = false): Plugin {
  return typescript({
    tsconfig: join(ROOT, 'tsconfig.json'),
    compilerOptions: { noEmit: false, declaration: false, declarationMap: false, sourceMap, outDir, rootDir, noCheck: true },
    noForceEmit: false,
  })
}

/** Silences type-check warnings of files others are editing; a broken build still throws. */
const quiet: InputOptions['onwarn'] = () => undefined

/**
 * The script-tag bundle and its sibling files, as rollup.config.mjs builds them (into `dir`, not
 * `dist`). Its `chunks` say which file is the bundle (`initial`) and which module each file holds.
 */
async function buildScriptTag(dir: string): Promise<BuiltBundle> {
  const { input, output } = await scriptTagConfig()
  const out = join(dir, 'script-tag')
  const plugins = (Array.isArray(input.plugins) ? input.plugins : [])
    .filter(isPlugin)
    // Nor the storage files (resumable-upload.{s3,azure,gcs}.min.js): a page loads each with its own script tag, never on demand.
    .filter((plugin) => !plugin.name.startsWith('prune') && plugin.name !== 'script-tag-storage')
    .map((plugin) => (plugin.name === 'typescript' ? typescriptPlugin(out, join(ROOT, 'src'), true) : plugin))
  const bundle = await rollup({ ...input, plugins, onwarn: quiet })
  const { output: written } = await bundle.write({ ...output, dir: out, sourcemap: 'hidden' })
  await bundle.close()
  const built = written.filter((item): item is OutputChunk => item.type === 'chunk')
  const ordered = [...built].sort((a, b) => Number(b.isEntry) - Number(a.isEntry) || a.fileName.localeCompare(b.fileName))
  const chunks = ordered.map((chunk) => ({
    file: join(out, chunk.fileName),
    initial: chunk.isEntry,
    moduleIds: Object.keys(chunk.modules),
    bytesBySource: bytesBySource(chunk, out),
  }))
  return { files: chunks.map((chunk) => chunk.file), chunks }
}

/** A virtual entry module with `code`. */
function virtualEntry(code: string): Plugin {
  const id = '\0bench-app-entry'
  return {
    name: 'bench-app-entry',
    resolveId: (source) => (source === id ? id : null),
    load: (source) => (source === id ? code : null),
  }
}

/**
 * Builds an app whose entry module is `code`, for browsers, minified, with code splitting.
 * `external` names packages the app gets elsewhere (React for the React entry).
 */
export async function buildApp(dir: string, name: string, code: string, external: string[] = []): Promise<BuiltBundle> {
  const out = join(dir, name)
  const plugins = [virtualEntry(code), nodeResolve({ browser: true }), typescriptPlugin(out, join(ROOT, 'src'), true)]
  // allow-extension: the entry chunk may export internals to the tus chunk (no re-export facade).
  const bundle = await rollup({ input: '\0bench-app-entry', external, plugins, onwarn: quiet, preserveEntrySignatures: 'allow-extension' })
  // 'hidden': maps for the per-module breakdown, no sourceMappingURL comment in the measured code.
  const { output } = await bundle.write({
    dir: out,
    format: 'es',
    entryFileNames: 'app.js',
    chunkFileNames: '[name].js',
    sourcemap: 'hidden',
    plugins: [terser({ format: { comments: false } })],
  })
  await bundle.close()
  const built = output.filter((item): item is OutputChunk => item.type === 'chunk')
  const initial = initialChunks(built)
  const ordered = [...built].sort((a, b) => Number(b.isEntry) - Number(a.isEntry) || a.fileName.localeCompare(b.fileName))
  const chunks = ordered.map((chunk) => ({
    file: join(out, chunk.fileName),
    initial: initial.has(chunk.fileName),
    moduleIds: Object.keys(chunk.modules),
    bytesBySource: bytesBySource(chunk, out),
  }))
  return { files: chunks.map((chunk) => chunk.file), chunks }
}

/** The entry chunk and every chunk it imports statically, transitively. */
function initialChunks(chunks: OutputChunk[]): Set<string> {
  const initial = new Set<string>()
  const visit = (fileName: string): void => {
    if (initial.has(fileName)) return
    initial.add(fileName)
    chunks.find((chunk) => chunk.fileName === fileName)?.imports.forEach(visit)
  }
  for (const chunk of chunks) if (chunk.isEntry) visit(chunk.fileName)
  return initial
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

/** The values of one source-map segment (base64 VLQ). */
function decodeSegment(segment: string): number[] {
  const values: number[] = []
  let value = 0
  let shift = 0
  for (const char of segment) {
    const digit = BASE64.indexOf(char)
    value += (digit & 31) << shift
    if (digit & 32) shift += 5
    else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1)
      value = 0
      shift = 0
    }
  }
  return values
}

/** A source path as the breakdown names it: relative to the project, a dependency by package. */
function sourceName(source: string, mapDir: string): string {
  const path = relative(ROOT, resolve(mapDir, source)).split(sep).join('/')
  const dependency = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)
  return dependency ? `node_modules/${dependency[1]}` : path.replace(/\.js$/, '.ts')
}

/** Minified bytes of `chunk` per source module, through its source map. */
function bytesBySource(chunk: OutputChunk, dir: string): Record<string, number> {
  const totals: Record<string, number> = {}
  const add = (name: string, text: string): void => {
    totals[name] = (totals[name] ?? 0) + Buffer.byteLength(text)
  }
  const lines = chunk.code.split('\n')
  const mapLines = chunk.map?.mappings.split(';') ?? []
  const sources = chunk.map?.sources ?? []
  let sourceIndex = 0
  lines.forEach((line, index) => {
    let column = 0
    let current = '(glue)'
    let generated = 0
    for (const segment of (mapLines[index] ?? '').split(',').filter(Boolean)) {
      const [delta = 0, sourceDelta] = decodeSegment(segment)
      generated += delta
      add(current, line.slice(column, generated))
      column = generated
      if (sourceDelta === undefined) current = '(glue)'
      else {
        sourceIndex += sourceDelta
        current = sourceName(sources[sourceIndex] ?? '(glue)', dir)
      }
    }
    add(current, line.slice(column) + (index < lines.length - 1 ? '\n' : ''))
  })
  return totals
}

/**
 * Builds the Node client into `dir/node-client/` and returns the path of its entry
 * (`node <entry> '<NodeJob JSON>'`).
 */
export async function buildNodeClient(dir: string): Promise<string> {
  const out = join(dir, 'node-client')
  const tusJsClient = pathToFileURL(join(ROOT, 'node_modules', 'tus-js-client', 'lib.es5', 'node', 'index.js')).href
  const bundle = await rollup({
    input: join(ROOT, 'bench', 'node-client.ts'),
    external: (id) => id === 'tus-js-client' || id.startsWith('node:') || builtinModules.includes(id),
    plugins: [nodeResolve({ preferBuiltins: true }), typescriptPlugin(out, ROOT)],
    onwarn: quiet,
  })
  await bundle.write({ dir: out, format: 'es', entryFileNames: 'node-client.mjs', chunkFileNames: '[name].mjs', paths: { 'tus-js-client': tusJsClient } })
  await bundle.close()
  return join(out, 'node-client.mjs')
}

/** Builds the browser bundles into `dir` (an existing, empty directory). */
export async function buildBundles(dir: string): Promise<Bundles> {
  const source = JSON.stringify(join(ROOT, 'src', 'index.ts'))
  const scriptTag = await buildScriptTag(dir)
  const oursApp = await buildApp(dir, 'app-ours', `export { Upload } from ${source}\n`)
  const react = JSON.stringify(join(ROOT, 'src', 'react', 'index.ts'))
  const oursReact = await buildApp(dir, 'app-ours-react', `export { useUpload } from ${react}\n`, ['react'])
  const tusJsScriptTag = { files: [join(ROOT, 'node_modules', 'tus-js-client', 'dist', 'tus.min.js')] }
  return { scriptTag, oursApp, oursReact, tusJsScriptTag }
}

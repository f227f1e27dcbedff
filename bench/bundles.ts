/**
 * Builds what the browser rows load and what the size rows measure, with rollup, into a temporary
 * directory (never `dist`, which others may be rebuilding):
 * - the script-tag bundle, from the IIFE build of `rollup.config.mjs` (its input, plugins and
 *   output options; only the output file and the TypeScript output directory differ);
 * - an app that imports `{ Upload }` from `src/index.ts`, bundled for browsers and minified the
 *   way an app would (node-resolve, terser), with code splitting: the tus protocol is the chunk
 *   `protocol: 'tus'` loads on demand;
 * - the Node client of the Node rows (`node-client.ts` with our `src/node.ts`, mitt and p-retry
 *   bundled, unminified like `dist/node.js`; tus-js-client imported from node_modules), so client
 *   processes run plain JavaScript: no tsx loader in their CPU time and RSS, no `__name` wrappers
 *   (tsx's keepNames) in our hot paths, as users get it.
 * tus-js-client is measured by its own browser bundle, `dist/tus.min.js` (bundling its ESM build
 * for an app needs @rollup/plugin-commonjs for its CommonJS dependencies, which is not installed).
 * @module
 */
import { readdir } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'
import { rollup, type InputOptions, type OutputOptions, type Plugin, type RollupOptions } from 'rollup'

/** A built bundle: its files, the entry first. */
export interface BuiltBundle {
  /** Absolute paths; the entry first, then chunks it loads on demand. */
  files: string[]
}

/** What the browser rows load and the size rows measure. */
export interface Bundles {
  /** `resumable-upload.min.js` (IIFE, global `ResumableUpload`). */
  scriptTag: BuiltBundle
  /** An app importing our `Upload` (ES module + the on-demand tus chunk). */
  oursApp: BuiltBundle
  /** tus-js-client's own browser bundle, `dist/tus.min.js`. */
  tusJsScriptTag: BuiltBundle
}

const ROOT = resolve(import.meta.dirname, '..')

function isRollupOptions(value: unknown): value is RollupOptions {
  return typeof value === 'object' && value !== null && 'input' in value
}

function isPlugin(value: unknown): value is Plugin {
  return typeof value === 'object' && value !== null && 'name' in value
}

/** The IIFE build of the project's rollup config. */
async function scriptTagConfig(): Promise<{ input: InputOptions; output: OutputOptions }> {
  const module: unknown = await import(pathToFileURL(join(ROOT, 'rollup.config.mjs')).href)
  const configs: unknown = typeof module === 'object' && module !== null && 'default' in module ? module.default : undefined
  const list: unknown[] = Array.isArray(configs) ? configs : [configs]
  for (const config of list) {
    if (!isRollupOptions(config)) continue
    const output = Array.isArray(config.output) ? config.output[0] : config.output
    if (output?.format === 'iife') return { input: config, output }
  }
  throw new Error('rollup.config.mjs has no IIFE build')
}

/** TypeScript for the bench's builds: the project's tsconfig, emitting JS only into `outDir`. */
function typescriptPlugin(outDir: string, rootDir = join(ROOT, 'src')): Plugin {
  return typescript({
    tsconfig: join(ROOT, 'tsconfig.json'),
    compilerOptions: { noEmit: false, declaration: false, declarationMap: false, sourceMap: false, outDir, rootDir },
    noForceEmit: false,
  })
}

/** Silences type-check warnings of files others are editing; a broken build still throws. */
const quiet: InputOptions['onwarn'] = () => undefined

async function buildScriptTag(dir: string): Promise<BuiltBundle> {
  const { input, output } = await scriptTagConfig()
  const out = join(dir, 'script-tag')
  const plugins = (Array.isArray(input.plugins) ? input.plugins : []).filter(isPlugin).map((plugin) => (plugin.name === 'typescript' ? typescriptPlugin(out) : plugin))
  const bundle = await rollup({ ...input, plugins, onwarn: quiet })
  const file = join(out, 'resumable-upload.min.js')
  await bundle.write({ ...output, file, sourcemap: false })
  await bundle.close()
  return { files: [file] }
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

async function buildApp(dir: string, name: string, code: string): Promise<BuiltBundle> {
  const out = join(dir, name)
  const plugins = [virtualEntry(code), nodeResolve({ browser: true }), typescriptPlugin(out)]
  // allow-extension: the entry chunk may export internals to the tus chunk (no re-export facade).
  const bundle = await rollup({ input: '\0bench-app-entry', plugins, onwarn: quiet, preserveEntrySignatures: 'allow-extension' })
  await bundle.write({ dir: out, format: 'es', entryFileNames: 'app.js', chunkFileNames: '[name].js', plugins: [terser({ format: { comments: false } })] })
  await bundle.close()
  const chunks = (await readdir(out)).filter((file) => file.endsWith('.js') && file !== 'app.js').sort()
  return { files: [join(out, 'app.js'), ...chunks.map((file) => join(out, file))] }
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
  const tusJsScriptTag = { files: [join(ROOT, 'node_modules', 'tus-js-client', 'dist', 'tus.min.js')] }
  return { scriptTag, oursApp, tusJsScriptTag }
}

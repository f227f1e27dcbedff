// Builds: ESM entries for browsers and Node (with source maps and .d.ts), and the minified
// script-tag bundle `dist/resumable-upload.min.js` (a classic script, global `ResumableUpload`)
// with the sibling files it loads on demand (`dist/resumable-upload.<name>.min.js`).
import { readFileSync, readdirSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, posix, relative, resolve, sep } from 'node:path'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'

const runtimeDependencies = ['p-retry', 'mitt', 'react']
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)]

const typescriptOptions = (declarations) => ({
  tsconfig: './tsconfig.json',

  compilerOptions: {
    noEmit: false,
    declaration: declarations,
    declarationMap: declarations,
    declarationDir: declarations ? 'dist' : undefined,
    outDir: 'dist',
    rootDir: 'src',
    sourceMap: true,
  },
})

/**
 * Deletes files in `dist` that this build did not write (chunks of earlier builds, declarations of
 * removed modules), so they never reach the package. Deleting afterwards, not emptying `dist`
 * first, leaves no moment without a `dist` for test servers that read it. `keep` names what
 * the other build writes there.
 */
const pruneDist = (keep) => ({
  name: 'prune-dist',
  writeBundle(options, bundle) {
    const dir = options.dir
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue
      const path = join(entry.parentPath, entry.name)
      const name = relative(dir, path).split(sep).join('/')
      if (!(name in bundle) && !keep.some((kept) => name.startsWith(kept))) rmSync(path)
    }
  },
})

/**
 * TypeScript writes `.d.ts` files with the specifiers of the sources (`'./options'`), which
 * `moduleResolution: node16/nodenext` cannot follow in a `"type": "module"` package. This adds the
 * `.js` (or `/index.js`) that the emitted declarations sit next to.
 */
const fullySpecifiedDeclarations = () => ({
  name: 'fully-specified-declarations',
  generateBundle(_options, bundle) {
    const specifier = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]*?)\2/g
    for (const file of Object.values(bundle)) {
      if (file.type !== 'asset' || !file.fileName.endsWith('.d.ts')) continue
      file.source = String(file.source).replace(specifier, (whole, prefix, quote, path) => {
        if (/\.(?:js|mjs|cjs|json)$/.test(path)) return whole
        const target = posix.join(dirname(file.fileName), path)
        if (`${target}.d.ts` in bundle) return `${prefix}${quote}${path}.js${quote}`
        if (`${target}/index.d.ts` in bundle) return `${prefix}${quote}${path}/index.js${quote}`
        this.warn(`${file.fileName}: cannot resolve the declaration import '${path}'`)
        return whole
      })
    }
  },
})

/**
 * Keeps what the browser entry loads with `import()` in chunks of their own: the tus protocol
 * (`protocol: 'tus'`), the fetch transport (asked for, or no XHR), the stream source (a
 * ReadableStream input), the memory store and its process lock (`store: 'memory'`, or the fallback
 * of a failing store). The entries also export these (`tusProtocol`, `fetchTransport`…), so by
 * default rollup would
 * merge them into the chunk they share with Upload, turn each `import()` into a plain reference,
 * and every app would carry them. The code the browser entry needs without them goes to one
 * `upload` chunk (so a lazy chunk does not take it along); Node-only modules are left where
 * rollup puts them (never in the browser's chunks).
 */
const lazyChunks = () => {
  const lazy = /[\\/]src[\\/](?:protocols[\\/](tus)(?:-[a-z]+)?|transports[\\/](fetch)|sources[\\/](stream)|stores[\\/](memory|process-lock))\.ts$/
  const browserEntry = resolve('src/index.ts')
  let core
  return (id, { getModuleInfo }) => {
    const match = lazy.exec(id)
    if (match) return match.slice(1).find(Boolean)?.replace('process-lock', 'memory')
    if (!core) {
      core = new Set()
      const visit = (moduleId) => {
        if (core.has(moduleId) || lazy.test(moduleId)) return
        core.add(moduleId)
        getModuleInfo(moduleId)?.importedIds.forEach(visit)
      }
      visit(browserEntry)
      core.delete(browserEntry)
    }
    return core.has(id) && !id.includes('node_modules') ? 'upload' : undefined
  }
}

/** The script-tag bundle's file, and the names of the sibling files it loads on demand. */
const SCRIPT_TAG = { entry: 'resumable-upload.min.js', chunks: 'resumable-upload.[name].min.js', sibling: /^resumable-upload\.[^/]+\.min\.js(?:\.map)?$/ }

/**
 * Runs the script-tag bundle's entry chunk (its source text wraps the chunk: terser minifies it
 * with the rest). The chunk calls `ResumableUpload._chunk(id, deps, factory)` as every chunk does;
 * for the entry this runs the factory at once with its `exports` and, for `require`, the loader's
 * `load` (src/script/loader.ts, exported by the entry), then starts the loader with the package's
 * version. This function runs in the browser: it is never called here, only its text is used.
 */
const runEntryChunk = (version) => (id, deps, factory) => {
  const exports = {}
  factory(...deps.map((dep) => (dep === 'exports' ? exports : (path) => exports.load(path))))
  exports.init(id, exports, version)
}

/** The package's version, for the script tag's loader (see `siblingBase` in src/script/loader.ts). */
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))

/**
 * The script-tag build's output: rollup's code splitting in AMD form. The entry chunk
 * (`resumable-upload.min.js`, everything a page runs before any `import()`) is wrapped to run at
 * once (`runEntryChunk`); each module that src/ reaches only by `import()`, whatever it is,
 * becomes a sibling file calling `ResumableUpload._chunk`, and `import()` becomes
 * `require('./<id>')`, the loader of src/script/loader.ts, which fetches it from the bundle's URL.
 */
const scriptTagOutput = {
  dir: 'dist',
  format: 'amd',
  amd: { autoId: true, define: 'ResumableUpload._chunk' },
  entryFileNames: SCRIPT_TAG.entry,
  chunkFileNames: SCRIPT_TAG.chunks,
  banner: (chunk) => (chunk.isEntry ? '(function (ResumableUpload) {' : ''),
  footer: (chunk) => (chunk.isEntry ? `})({ _chunk: (${runEntryChunk})(${JSON.stringify(version)}) })` : ''),
  minifyInternalExports: true,
  generatedCode: { preset: 'es2015', symbols: false },
  freeze: false,
  esModule: false,
  sourcemap: true,
  plugins: [terser({ format: { comments: false } })],
}

/**
 * The script tag's storage files, `resumable-upload.<name>.min.js`: `s3` (src/script/s3.ts adds
 * `ResumableUpload.s3`), `azure` (`ResumableUpload.azureBlob`) and `gcs` (`ResumableUpload.gcs`).
 * Each is a chunk loaded after the bundle (`implicitlyLoadedAfterOneOf`), so it takes from the
 * bundle every module the bundle holds instead of rollup moving them to a chunk both would load.
 */
const scriptTagStorage = (names) => ({
  name: 'script-tag-storage',
  buildStart() {
    for (const name of names) this.emitFile({ type: 'chunk', id: `src/script/${name}.ts`, name, implicitlyLoadedAfterOneOf: ['src/script-tag.ts'] })
  },
})

/** In the script-tag build, `import('./x')` becomes `require('./x')` (see src/script/loader.ts). */
const requireForImport = () => ({
  name: 'require-for-import',
  renderDynamicImport: () => ({ left: 'require(', right: ')' }),
})

/** Deletes the script-tag build's sibling files that this build did not write (names of earlier builds). */
const pruneSiblings = () => ({
  name: 'prune-script-tag-siblings',
  writeBundle(options, bundle) {
    for (const name of readdirSync(options.dir)) if (SCRIPT_TAG.sibling.test(name) && !(name in bundle)) rmSync(join(options.dir, name))
  },
})

export default [
  {
    input: { index: 'src/index.ts', node: 'src/node.ts', 'react/index': 'src/react/index.ts', s3: 'src/s3.ts', azure: 'src/azure.ts', gcs: 'src/gcs.ts' },
    external: (id) => runtimeDependencies.some((dep) => id === dep || id.startsWith(`${dep}/`)) || nodeBuiltins.includes(id),
    plugins: [typescript(typescriptOptions(true)), fullySpecifiedDeclarations(), pruneDist(['resumable-upload.'])],
    output: {
      dir: 'dist',
      format: 'es',
      sourcemap: true,
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      manualChunks: lazyChunks(),
      // Otherwise each entry repeats its chunks' `import 'mitt'`/`import 'p-retry'` as bare imports,
      // which app bundlers then warn about (the packages declare `sideEffects: false`).
      hoistTransitiveImports: false,
    },
  },
  {
    input: 'src/script-tag.ts',
    // The entry sets the global itself; its chunk exports only what the sibling files import.
    preserveEntrySignatures: 'allow-extension',
    plugins: [
      nodeResolve({ browser: true }),
      typescript(typescriptOptions(false)),
      requireForImport(),
      scriptTagStorage(['s3', 'azure', 'gcs']),
      pruneSiblings(),
    ],
    // p-retry, used by ./later and by the S3 file: one sibling of its own, named for it.
    output: { ...scriptTagOutput, manualChunks: (id) => (/[\\/]node_modules[\\/](p-retry|is-network-error)[\\/]/.test(id) ? 'p-retry' : undefined) },
  },
]

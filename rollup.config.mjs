// Builds: ESM entries for browsers and Node (with source maps and .d.ts), and the minified
// script-tag bundle `dist/resumable-upload.min.js` (IIFE, global `ResumableUpload`).
import { readdirSync, rmSync } from 'node:fs'
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

/**
 * For the script-tag bundle, which inlines every `import()` anyway: the memory store without the
 * wrapper that loads it on first use (src/stores/eager-memory.ts in place of lazy-memory.ts).
 */
const eagerMemoryStore = () => ({
  name: 'eager-memory-store',
  resolveId: (source) => (source.endsWith('/stores/lazy-memory') ? resolve('src/stores/eager-memory.ts') : null),
})

export default [
  {
    input: { index: 'src/index.ts', node: 'src/node.ts', 'react/index': 'src/react/index.ts' },
    external: (id) => runtimeDependencies.some((dep) => id === dep || id.startsWith(`${dep}/`)) || nodeBuiltins.includes(id),
    plugins: [typescript(typescriptOptions(true)), fullySpecifiedDeclarations(), pruneDist(['resumable-upload.min.js'])],
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
    input: 'src/index.ts',
    plugins: [eagerMemoryStore(), nodeResolve({ browser: true }), typescript(typescriptOptions(false))],
    output: {
      file: 'dist/resumable-upload.min.js',
      format: 'iife',
      name: 'ResumableUpload',
      sourcemap: true,
      // One file for a script tag: what npm users load on demand (tus, fetch…) is inlined.
      inlineDynamicImports: true,
      plugins: [terser({ format: { comments: false } })],
    },
  },
]

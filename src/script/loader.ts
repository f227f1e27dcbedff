/**
 * The loader of the script-tag bundle's sibling files (rollup.config.mjs builds the bundle with
 * rollup's code splitting in AMD form). The bundle's entry chunk runs at once; every module that
 * src/ reaches only by `import()` is a sibling file, `resumable-upload.<name>.min.js`, whose code
 * calls `ResumableUpload._chunk(id, deps, factory)` ({@link define}). `import()` became
 * `require('./<id>')`, which is {@link load}: it fetches `<id>.js` next to the bundle (a script
 * element in a page, `importScripts` in a worker), and the file's own dependencies first.
 * A file that does not load, or loads without defining its module, rejects with a retryable
 * `network` UploadError; the next `import()` of it tries again.
 * @module
 */
import { UploadError } from '../errors'

/** A module's exports as the AMD factories fill them. */
type Exports = Record<string, unknown>

/** An AMD factory as rollup writes it: one argument per dependency named beside it. */
type Factory = (...dependencies: unknown[]) => void

/** Modules by id (a file name without `.js`): their exports, or a promise while their dependencies load. */
const modules: Record<string, Exports | Promise<Exports> | undefined> = {}
/** Files being loaded, by module id. */
const loads: Record<string, Promise<Exports> | undefined> = {}
/** The bundle's URL, which the sibling files' URLs are resolved against (read in {@link init}). */
let base = ''

/** The module id of a dependency as rollup names it (`./resumable-upload.tus.min`). */
const idOf = (dependency: string): string => dependency.replace(/^\.\//, '')

/** The module `dependency` names, its file loaded first when it is not there yet. */
const moduleOf = (dependency: string): Exports | Promise<Exports> => modules[idOf(dependency)] ?? loadFile(idOf(dependency))

/**
 * The exports of the module `dependency` names, its file loaded first if it is not there yet:
 * what `import()` becomes in the bundle and its sibling files.
 * @param dependency a module id as rollup writes it (`./resumable-upload.tus.min`)
 */
export function load(dependency: string): Promise<Exports> {
  return Promise.resolve(moduleOf(dependency))
}

/**
 * Defines a module of a sibling file (what the file calls as `ResumableUpload._chunk`): runs
 * `factory` once the modules it depends on are there, loading their files first.
 * @param id the module's id (its file name without `.js`)
 * @param dependencies `require`, `exports` and the ids of the modules it imports
 * @param factory the module's code
 */
export function define(id: string, dependencies: string[], factory: Factory): void {
  const exports: Exports = {}
  const values = dependencies.map((name) => (name === 'require' ? load : name === 'exports' ? exports : moduleOf(name)))
  const run = (args: unknown[]): Exports => {
    factory(...args)
    return (modules[id] = exports)
  }
  modules[id] = values.some((value) => value instanceof Promise)
    ? Promise.all(values).then(run, (error: unknown) => {
        delete modules[id]
        throw error
      })
    : run(values)
}

/**
 * Called once by the bundle's wrapper, as the bundle runs: registers the entry chunk's exports
 * (what the sibling files import from it) and finds where the sibling files are (see {@link siblingBase}).
 * @param id the entry chunk's module id
 * @param exports its exports
 * @param version the package's version (the build writes it into the wrapper)
 */
export function init(id: string, exports: Exports, version: string): void {
  modules[id] = exports
  base = siblingBase(scriptUrl(), version)
}

/**
 * The URL of the running bundle: `document.currentScript` in a page; in a worker that took it
 * with `importScripts`, the first URL of the stack (this code's file); else the global's location.
 */
function scriptUrl(): string {
  const current = typeof document === 'undefined' ? null : (document.currentScript as HTMLScriptElement | null)
  return current?.src || (/(\w+:\/\/[^\s)]+?):\d+:\d+/.exec(new Error().stack ?? '')?.[1] ?? globalThis.location.href)
}

/**
 * What the sibling files' names resolve against: the bundle's own URL; or, when that URL names
 * the package instead of the file (`https://unpkg.com/resumable-upload`, which the CDN redirects
 * to the package's `unpkg` file, while the page still reports the URL it asked for), the
 * package's `dist/` at this very version (`https://unpkg.com/resumable-upload@<version>/dist/`).
 */
export function siblingBase(url: string, version: string): string {
  const path = new URL(url).pathname.replace(/\/$/, '')
  return /\.js$/.test(path) ? url : new URL(`${path}${/@[^/]*$/.test(path) ? '' : `@${version}`}/dist/`, url).href
}

/**
 * Runs the file of module `id` (once at a time) and resolves with the module it defines; a
 * failed load is forgotten, so the next one tries again.
 */
function loadFile(id: string): Promise<Exports> {
  return (loads[id] ??= new Promise<Exports>((resolve, reject) => {
    const url = new URL(`${id}.js`, base).href
    const done = (cause?: unknown): void => {
      const module = modules[id]
      if (module) resolve(module)
      else reject(new UploadError('network', `resumable-upload could not load ${url}`, { retryable: true, cause }))
    }
    const importScripts = (globalThis as { importScripts?: (url: string) => void }).importScripts
    if (typeof document === 'undefined' && importScripts) {
      try {
        importScripts(url)
      } catch (error) {
        return done(error)
      }
      return done()
    }
    const script = document.createElement('script')
    script.src = url
    script.onload = () => done()
    script.onerror = (event) => {
      script.remove()
      done(event)
    }
    document.head.append(script)
  }).catch((error: unknown) => {
    delete loads[id]
    throw error
  }))
}

/**
 * The package as npm users get it. The sources are built in a scratch copy of the project (the
 * shared `dist/` is not touched, and `npm test` runs this before its own build), packed with
 * `npm pack`, checked with publint and attw, and installed from the tarball into a scratch
 * project (dependencies from the npm cache). There:
 * - Node `import` and `require` of `resumable-upload` upload to the reference server;
 * - a rollup browser bundle of `import { Upload } from 'resumable-upload'` has no `node:` import,
 *   leaves out what the browser never uses (node-http, file sources and stores), keeps what few
 *   uploads need (tus, fetch, stream sources) out of its initial chunks, and uploads
 *   (in Node, so through the fetch transport loaded on demand);
 * - a rollup Node bundle uploads a file;
 * - `resumable-upload/react` renders on the server without touching browser globals;
 * - TypeScript consumers (nodenext and bundler resolution) type-check.
 * Every upload's stored bytes are checked by length and SHA-256.
 *
 * attw runs with `--profile esm-only`: the package ships no CommonJS build (Node >= 20.19 can
 * `require()` it anyway, which is tested).
 */
import { spawn } from 'node:child_process'
import { cp, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import nodeResolve from '@rollup/plugin-node-resolve'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'
import { rollup, type OutputChunk, type RollupLog } from 'rollup'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReferenceServer, type ReferenceServer } from '../server'
import { randomData, tempDir, type TestData } from '../support/files'

const repo = fileURLToPath(new URL('../..', import.meta.url))
const bin = (path: string): string => join(repo, 'node_modules', path)

interface Ran {
  stdout: string
  stderr: string
}

/** Runs a command; rejects with its output when it exits with another code than 0. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout, stderr })
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}\n${stdout}\n${stderr}`))
    })
  })
}

/** The last stdout line of a check script, parsed as JSON. */
function lastJson<T>(ran: Ran): T {
  return JSON.parse(ran.stdout.trim().split('\n').at(-1) ?? 'null') as T
}

async function installedVersion(name: string): Promise<string> {
  const manifest = JSON.parse(await readFile(bin(`${name}/package.json`), 'utf8')) as { version: string }
  return manifest.version
}

let server: ReferenceServer
let work: { dir: string; remove: () => Promise<void> }
let tarball: string
let packedFiles: string[]
let scratch: string

beforeAll(async () => {
  server = await startReferenceServer()
  work = await tempDir('resumable-upload-package-')
  const staging = join(work.dir, 'staging')
  await mkdir(staging)
  for (const entry of ['src', 'package.json', 'tsconfig.json', 'rollup.config.mjs', 'README.md', 'LICENSE']) {
    await cp(join(repo, entry), join(staging, entry), { recursive: true })
  }
  await symlink(join(repo, 'node_modules'), join(staging, 'node_modules'), 'dir')
  await run(process.execPath, [bin('rollup/dist/bin/rollup'), '-c', '--silent'], staging)

  const packed = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work.dir], staging)
  const [manifest] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  if (!manifest) throw new Error('npm pack printed no manifest')
  tarball = join(work.dir, manifest.filename)
  packedFiles = manifest.files.map((file) => file.path)

  // React from the project's own install, so npm's cache has it.
  scratch = join(work.dir, 'app')
  await mkdir(scratch)
  await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch-app', private: true, type: 'module' }))
  const react = await installedVersion('react')
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `react@${react}`, `react-dom@${react}`], scratch)
  await mkdir(join(scratch, 'node_modules', '@types'), { recursive: true })
  for (const types of ['node', 'react']) await symlink(bin(`@types/${types}`), join(scratch, 'node_modules', '@types', types), 'dir')
}, 180_000)

afterAll(async () => {
  await server?.close()
  await work?.remove()
})

async function expectStored(url: string, data: TestData): Promise<void> {
  const info = await server.upload(server.uploadIdFromUrl(url))
  expect(info).toMatchObject({ complete: true, length: data.bytes.length, offset: data.bytes.length, sha256: data.sha256 })
}

describe('the packed tarball', () => {
  it('holds the entries, their types, and no stale or source files', () => {
    for (const file of [
      'package.json',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/node.js',
      'dist/node.d.ts',
      'dist/react/index.js',
      'dist/react/index.d.ts',
      'dist/s3.js',
      'dist/s3.d.ts',
      'dist/azure.js',
      'dist/azure.d.ts',
      'dist/gcs.js',
      'dist/gcs.d.ts',
      'dist/resumable-upload.min.js',
      'dist/resumable-upload.s3.min.js',
      'dist/resumable-upload.azure.min.js',
      'dist/resumable-upload.gcs.min.js',
    ]) {
      expect(packedFiles).toContain(file)
    }
    expect(packedFiles.filter((file) => !file.startsWith('dist/') && !/^(package\.json|README\.md|LICENSE)$/.test(file))).toEqual([])
  })

  it('every chunk in it is imported by something in it (no leftovers of earlier builds)', async () => {
    const unpacked = join(work.dir, 'unpacked')
    await mkdir(unpacked)
    await run('tar', ['-xzf', tarball, '-C', unpacked], work.dir)
    const code = await Promise.all(packedFiles.filter((file) => file.endsWith('.js')).map(async (file) => readFile(join(unpacked, 'package', file), 'utf8')))
    const chunks = packedFiles.filter((file) => file.startsWith('dist/chunks/') && file.endsWith('.js'))
    for (const chunk of chunks) {
      const name = chunk.slice('dist/chunks/'.length)
      expect(
        code.some((text) => text.includes(`/${name}'`)),
        chunk,
      ).toBe(true)
    }
  })

  it('the script-tag bundle and exactly the sibling files it can load (tus among them), each defining itself', async () => {
    const unpacked = join(work.dir, 'unpacked-script-tag')
    await mkdir(unpacked)
    await run('tar', ['-xzf', tarball, '-C', unpacked], work.dir)
    const siblings = packedFiles.filter((file) => /^dist\/resumable-upload\.[^/]+\.min\.js$/.test(file))
    const code = await Promise.all(['dist/resumable-upload.min.js', ...siblings].map(async (file) => readFile(join(unpacked, 'package', file), 'utf8')))
    const named = new Set(code.flatMap((text) => [...text.matchAll(/"\.\/(resumable-upload\.[^"]+)"/g)].map((match) => `dist/${match[1]}.js`)))
    named.delete('dist/resumable-upload.min.js')
    // The storage files are loaded by the page's own script tags, after the bundle (nothing names them).
    for (const storage of ['s3', 'azure', 'gcs']) named.add(`dist/resumable-upload.${storage}.min.js`)
    expect(siblings).toContain('dist/resumable-upload.tus.min.js')
    expect([...named].sort()).toEqual([...siblings].sort())
    siblings.forEach((file, index) => expect(code[index + 1]).toMatch(new RegExp(`^ResumableUpload\\._chunk\\("${file.slice(5, -3).replaceAll('.', '\\.')}"`)))
  })

  it('publint: no errors, warnings or suggestions', async () => {
    const data = await readFile(tarball)
    const { messages, pkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
      level: 'suggestion',
      strict: true,
    })
    expect(messages.map((message) => `${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`)).toEqual([])
  })

  it('attw --profile esm-only: types resolve for node16 (ESM) and bundlers', async () => {
    const ran = await run(process.execPath, [bin('@arethetypeswrong/cli/dist/index.js'), tarball, '--profile', 'esm-only', '--format', 'json'], work.dir).catch(
      (error: Error) => ({ stdout: error.message, stderr: '' }),
    )
    const report = JSON.parse(ran.stdout.slice(ran.stdout.indexOf('{'), ran.stdout.lastIndexOf('}') + 1)) as {
      analysis: { problems: Array<{ kind: string; entrypoint?: string; resolutionKind?: string }> }
    }
    // The esm-only profile's exemptions; InternalResolutionError (no resolutionKind) always counts.
    const ignored = new Set(['node10', 'node16-cjs'])
    expect(report.analysis.problems.filter((problem) => !ignored.has(problem.resolutionKind ?? ''))).toEqual([])
  })
})

describe('installed from the tarball', () => {
  it('Node: `import { Upload } from "resumable-upload"` uploads a file path and bytes', async () => {
    const file = randomData(3 * 1024 * 1024 + 11)
    const bytes = randomData(200_000)
    await writeFile(join(scratch, 'data.bin'), file.bytes)
    await writeFile(join(scratch, 'bytes.bin'), bytes.bytes)
    await writeFile(
      join(scratch, 'node-import.mjs'),
      `import { readFile } from 'node:fs/promises'
      import { Upload, nodeHttpTransport } from 'resumable-upload'
      const endpoint = process.argv[2]
      if (typeof nodeHttpTransport !== 'function') throw new Error('not the Node entry')
      const fromPath = await new Upload('./data.bin', { endpoint, chunkSize: 1024 * 1024 }).start()
      const fromBytes = await new Upload(await readFile('./bytes.bin'), { endpoint }).start()
      console.log(JSON.stringify({ fromPath: fromPath.url, fromBytes: fromBytes.url }))`,
    )
    const urls = lastJson<{ fromPath: string; fromBytes: string }>(await run(process.execPath, ['node-import.mjs', server.endpoint], scratch))
    await expectStored(urls.fromPath, file)
    await expectStored(urls.fromBytes, bytes)
  })

  it('Node: `require("resumable-upload")` works too (require of ESM, Node >= 20.19)', async () => {
    const data = randomData(70_000)
    await writeFile(join(scratch, 'require.bin'), data.bytes)
    await writeFile(
      join(scratch, 'node-require.cjs'),
      `const { Upload } = require('resumable-upload')
      new Upload('./require.bin', { endpoint: process.argv[2] }).start().then((result) => console.log(JSON.stringify({ url: result.url })))`,
    )
    const { url } = lastJson<{ url: string }>(await run(process.execPath, ['--no-warnings', 'node-require.cjs', server.endpoint], scratch))
    await expectStored(url, data)
  })

  it('browser bundle (rollup, node-resolve browser): no node: imports, unused parts left out, and it uploads', async () => {
    await writeFile(
      join(scratch, 'browser-app.js'),
      `import { Upload } from 'resumable-upload'
      export async function upload(blob, endpoint) {
        const { url } = await new Upload(blob, { endpoint }).start()
        return url
      }`,
    )
    const warnings: RollupLog[] = []
    const bundle = await rollup({
      input: join(scratch, 'browser-app.js'),
      plugins: [nodeResolve({ browser: true, rootDir: scratch })],
      onwarn: (warning) => void warnings.push(warning),
    })
    const { output } = await bundle.write({ dir: join(scratch, 'browser-bundle'), format: 'es' })
    await bundle.close()
    expect(warnings.map((warning) => warning.message)).toEqual([])
    const chunks = output.filter((item): item is OutputChunk => item.type === 'chunk')
    const entry = chunks.find((chunk) => chunk.isEntry)
    expect(entry).toBeDefined()
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])
    for (const chunk of chunks) {
      expect(
        chunk.imports.filter((id) => builtins.has(id) || id.startsWith('node:')),
        chunk.fileName,
      ).toEqual([])
      expect(chunk.code, chunk.fileName).not.toMatch(/\bfrom\s*['"]node:|import\(\s*['"]node:|require\(/)
    }
    // What an app that imports only Upload must not carry. Each marker is also checked to exist in
    // the package, so a renamed marker cannot make this pass by accident.
    const nodeEntry = await readFile(join(scratch, 'node_modules/resumable-upload/dist/node.js'), 'utf8')
    const absent = { 'node-http transport': 'flushHeaders', 'node file source': 'createReadStream', 'file store': 'function fileStore' }
    for (const [part, marker] of Object.entries(absent)) {
      expect(nodeEntry, part).toContain(marker)
      for (const chunk of chunks) expect(chunk.code, `${part} in ${chunk.fileName}`).not.toContain(marker)
    }
    // Nor anything of the storage entries (resumable-upload/s3, /azure, /gcs), not even on demand.
    const storage = { 'S3 entry': ['s3.js', 'NoSuchUpload'], 'Azure entry': ['azure.js', 'comp=blocklist'], 'GCS entry': ['gcs.js', 'multiple of 256 KiB'] }
    for (const [part, [file, marker]] of Object.entries(storage)) {
      const entryCode = await readFile(join(scratch, 'node_modules/resumable-upload/dist', file!), 'utf8')
      const chunkCode = await Promise.all(
        [...entryCode.matchAll(/from '\.\/(chunks\/[^']+)'/g)].map((match) => readFile(join(scratch, 'node_modules/resumable-upload/dist', match[1]!), 'utf8')),
      )
      expect([entryCode, ...chunkCode].join(''), part).toContain(marker!)
      for (const chunk of chunks) expect(chunk.code, `${part} in ${chunk.fileName}`).not.toContain(marker!)
    }
    // Protocols other than the default are loaded on demand: never in what the page loads first
    // (the entry and its static imports), at most in a chunk behind a dynamic import.
    const distFiles = await readdir(join(scratch, 'node_modules/resumable-upload/dist/chunks'))
    const packageCode = await Promise.all(
      distFiles.filter((file) => file.endsWith('.js')).map((file) => readFile(join(scratch, 'node_modules/resumable-upload/dist/chunks', file), 'utf8')),
    )
    const initial = new Set<string>()
    const visit = (fileName: string): void => {
      if (initial.has(fileName)) return
      initial.add(fileName)
      chunks.find((chunk) => chunk.fileName === fileName)?.imports.forEach(visit)
    }
    visit(entry?.fileName ?? '')
    const initialCode = chunks.filter((chunk) => initial.has(chunk.fileName)).map((chunk) => chunk.code)
    expect(initialCode.join('')).toContain('class Upload')
    // So are the parts few uploads need: each is in a chunk of the bundle, never in the initial ones.
    // 'upload-defer-length' is written only by the tus protocol (ietf reads 'tus-resumable' to
    // recognise a tus answer, so that name no longer tells the two apart).
    const lazy = {
      'tus protocol': "'upload-defer-length'",
      'fetch transport': "redirect: 'manual'",
      'stream source': 'The stream could not be read.',
      'findPrevious and restoreAll': 'function restorableRecords',
      'memory store and process lock': 'Another upload is sending this file.',
      'reading chunks into memory (sampleContent, digests)': 'Unsupported chunk body.',
      'helpers only fetch uses': 'function readCappedText',
      'header helpers only fetch uses': 'function headersFromFetch',
    }
    for (const [part, marker] of Object.entries(lazy)) {
      expect(
        packageCode.some((text) => text.includes(marker)),
        `${part} in the package`,
      ).toBe(true)
      expect(
        chunks.some((chunk) => !initial.has(chunk.fileName) && chunk.code.includes(marker)),
        `${part} in an on-demand chunk`,
      ).toBe(true)
      for (const code of initialCode) expect(code, `${part} in the initial chunks`).not.toContain(marker)
    }

    const data = randomData(1024 * 1024 + 5)
    await writeFile(join(scratch, 'browser.bin'), data.bytes)
    await writeFile(
      join(scratch, 'run-browser-bundle.mjs'),
      `import { readFile } from 'node:fs/promises'
      const { upload } = await import('./browser-bundle/${entry?.fileName ?? 'missing'}')
      // No XMLHttpRequest in Node: the browser entry falls back to fetch.
      const url = await upload(new Blob([await readFile('./browser.bin')]), process.argv[2])
      console.log(JSON.stringify({ url }))`,
    )
    const { url } = lastJson<{ url: string }>(await run(process.execPath, ['run-browser-bundle.mjs', server.endpoint], scratch))
    await expectStored(url, data)
  })

  it('Node bundle (rollup, node-resolve with the node condition) uploads a file', async () => {
    await writeFile(
      join(scratch, 'node-app.js'),
      `import { Upload } from 'resumable-upload'
      const { url } = await new Upload('./node-bundle.bin', { endpoint: process.argv[2] }).start()
      console.log(JSON.stringify({ url }))`,
    )
    const builtins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)]
    const warnings: RollupLog[] = []
    const bundle = await rollup({
      input: join(scratch, 'node-app.js'),
      external: builtins,
      plugins: [nodeResolve({ exportConditions: ['node'], preferBuiltins: true, rootDir: scratch })],
      onwarn: (warning) => void warnings.push(warning),
    })
    await bundle.write({ dir: join(scratch, 'node-bundle'), format: 'es', entryFileNames: 'app.mjs' })
    await bundle.close()
    expect(warnings.map((warning) => warning.message)).toEqual([])
    const data = randomData(2 * 1024 * 1024 + 3)
    await writeFile(join(scratch, 'node-bundle.bin'), data.bytes)
    const { url } = lastJson<{ url: string }>(await run(process.execPath, ['node-bundle/app.mjs', server.endpoint], scratch))
    await expectStored(url, data)
  })

  it('`resumable-upload/react` renders on the server and reads no browser global when imported', async () => {
    await writeFile(
      join(scratch, 'ssr.mjs'),
      `import { createElement } from 'react'
      import { renderToString } from 'react-dom/server'
      const read = []
      for (const name of ['window', 'document', 'indexedDB', 'localStorage', 'XMLHttpRequest', 'navigator', 'location']) {
        Object.defineProperty(globalThis, name, { configurable: true, get() { read.push(name); return undefined } })
      }
      const { useUpload } = await import('resumable-upload/react')
      function App() {
        const { state } = useUpload(new Uint8Array(4), { endpoint: '/uploads', autoStart: true })
        return createElement('p', null, state)
      }
      console.log(JSON.stringify({ html: renderToString(createElement(App)), read }))`,
    )
    const report = lastJson<{ html: string; read: string[] }>(await run(process.execPath, ['ssr.mjs'], scratch))
    expect(report).toEqual({ html: '<p>idle</p>', read: [] })
  })

  it('TypeScript consumers type-check: nodenext gets the Node types, bundler the browser types', async () => {
    await writeFile(
      join(scratch, 'consumer-node.ts'),
      `import { Upload, type UploadResult, type UploadWarning, type UploadWarningCode, type FetchTransportOptions, type NodeHttpTransportOptions } from 'resumable-upload'
      import { useUpload, type UseUploadResult } from 'resumable-upload/react'
      import { azureBlob, type AzureFile } from 'resumable-upload/azure'
      import { gcs } from 'resumable-upload/gcs'
      export const done: Promise<UploadResult> = new Upload('./data.bin', { endpoint: 'http://127.0.0.1/uploads' }).start()
      export const azure: Promise<UploadResult> = new Upload('./data.bin', { protocol: azureBlob({ url: async (file: AzureFile) => \`https://a.blob.core.windows.net/c/\${file.name ?? 'x'}?sig=s\` }), concurrency: 4 }).start()
      export const google: Promise<UploadResult> = new Upload('./data.bin', { protocol: gcs({ sessionUrl: 'https://storage.googleapis.com/upload/storage/v1/b/b/o?upload_id=x' }) }).start()
      export const restored: Promise<Upload[]> = Upload.restoreAll({ store: 'memory' })
      export type Public = [UploadWarning, UploadWarningCode, FetchTransportOptions, NodeHttpTransportOptions]
      export type Hook = (file: Blob) => UseUploadResult
      export const hook: Hook = (file) => useUpload(file, { endpoint: '/uploads' })`,
    )
    await writeFile(
      join(scratch, 'consumer-browser.ts'),
      `import { Upload, type UploadResult, type UploadWarning, type UploadWarningCode, type FetchTransportOptions, type XhrTransportOptions } from 'resumable-upload'
      import { useUploads } from 'resumable-upload/react'
      import { azureBlob } from 'resumable-upload/azure'
      import { gcs } from 'resumable-upload/gcs'
      export const azure: Promise<UploadResult> = new Upload(new Blob(['x']), { protocol: azureBlob({ url: 'https://a.blob.core.windows.net/c/x?sig=s' }) }).start()
      export const google = gcs({ sessionUrl: async () => 'https://storage.googleapis.com/upload/storage/v1/b/b/o?upload_id=x' })
      export type Public = [UploadWarning, UploadWarningCode, FetchTransportOptions, XhrTransportOptions]
      export const done: Promise<UploadResult> = new Upload(new Blob(['x']), { endpoint: '/uploads' }).start()
      // @ts-expect-error a file path is a Node input; browser types do not take it
      export const path = new Upload('./data.bin', { endpoint: '/uploads' })
      export const many = (files: File[]) => useUploads(files, { endpoint: '/uploads' }).items.length`,
    )
    const common = { target: 'es2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['es2023', 'dom'] }
    await writeFile(
      join(scratch, 'tsconfig.node.json'),
      JSON.stringify({ compilerOptions: { ...common, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer-node.ts'] }),
    )
    await writeFile(
      join(scratch, 'tsconfig.browser.json'),
      JSON.stringify({ compilerOptions: { ...common, module: 'esnext', moduleResolution: 'bundler' }, files: ['consumer-browser.ts'] }),
    )
    await Promise.all(
      ['tsconfig.node.json', 'tsconfig.browser.json'].map((config) => run(process.execPath, [bin('typescript/bin/tsc'), '-p', config], scratch)),
    )
  }, 180_000) // two tsc runs: ~15 s alone, near a minute on a loaded 2-core machine
})

/**
 * `tsx test/server/cli.ts --port 4000 --dir ./uploads [--max-size N] [--min-size N]
 * [--max-append-size N] [--min-append-size N] [--max-age SECONDS] [--interop-versions 7,8]
 * [--progress-interim-every N] [--no-control]`
 *
 * Starts the reference server on 127.0.0.1 and stops it cleanly on SIGINT/SIGTERM.
 * @module
 */
import { parseArgs } from 'node:util'
import { startReferenceServer } from './index'
import type { ReferenceServerOptions, UploadLimits } from './types'

const USAGE = 'usage: tsx test/server/cli.ts [--port N] [--dir PATH] [--max-size N] [--min-size N] [--max-append-size N] '
  + '[--min-append-size N] [--max-age SECONDS] [--interop-versions 3,4,5,6,7,8] [--progress-interim-every N] [--no-control]'

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  if (!/^\d+$/.test(text)) throw new TypeError(`--${name} must be a non-negative integer`)
  return Number(text)
}

/** Turns command-line arguments into server options; throws TypeError on bad input. */
export function parseCliOptions(args: string[]): ReferenceServerOptions {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: 'string' },
      dir: { type: 'string' },
      'max-size': { type: 'string' },
      'min-size': { type: 'string' },
      'max-append-size': { type: 'string' },
      'min-append-size': { type: 'string' },
      'max-age': { type: 'string' },
      'interop-versions': { type: 'string' },
      'progress-interim-every': { type: 'string' },
      'no-control': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  })
  if (values.help) throw new TypeError(USAGE)
  const limits: UploadLimits = {
    maxSize: integer('max-size', values['max-size']),
    minSize: integer('min-size', values['min-size']),
    maxAppendSize: integer('max-append-size', values['max-append-size']),
    minAppendSize: integer('min-append-size', values['min-append-size']),
    maxAge: integer('max-age', values['max-age']),
  }
  const versions = values['interop-versions']?.split(',').map((text) => integer('interop-versions', text.trim()) ?? 0)
  return {
    port: integer('port', values.port) ?? 0,
    dir: values.dir,
    limits: Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)),
    interopVersions: versions,
    progressInterimEvery: integer('progress-interim-every', values['progress-interim-every']),
    control: !values['no-control'],
  }
}

async function main(): Promise<void> {
  let options: ReferenceServerOptions
  try {
    options = parseCliOptions(process.argv.slice(2))
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error))
    console.error(USAGE)
    process.exitCode = 2
    return
  }
  const server = await startReferenceServer(options)
  console.log(`Reference server listening on ${server.url} (uploads in ${server.dir})`)
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

await main()

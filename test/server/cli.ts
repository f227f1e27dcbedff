/**
 * `npm run server -- [options]` (`tsx test/server/cli.ts`): starts the reference server on
 * 127.0.0.1, prints its endpoint, and stops it cleanly on SIGINT/SIGTERM. See {@link USAGE}.
 *
 * Bad input (an unknown flag, a number out of range, a port in use, a `--dir` that is a file or
 * not writable) prints one line saying so and the usage, and exits with 2 (arguments) or 1 (start).
 * @module
 */
import { parseArgs } from 'node:util'
import { normalizeOrigin } from './cors'
import { startReferenceServer } from './index'
import { PUBLIC_DEFAULTS, ServerStartError } from './server'
import type { ReferenceServerOptions, UploadLimits } from './types'

const GiB = 1024 ** 3

/** The usage text printed with every error and by `--help`. */
export const USAGE = `usage: npm run server -- [options]
  --port N                  TCP port on 127.0.0.1 (default 0: a free one)
  --dir PATH                where uploads are stored (default: a temporary directory, removed on exit)
  --max-size N              largest upload in bytes (default ${PUBLIC_DEFAULTS.maxSize / GiB} GiB = ${PUBLIC_DEFAULTS.maxSize})
  --min-size N              smallest resumable upload in bytes
  --max-append-size N       most bytes per request
  --min-append-size N       fewest bytes per request (except the last)
  --max-age SECONDS         how long an unfinished upload lives
  --max-uploads N           most unfinished uploads at once; more get 503 (default ${PUBLIC_DEFAULTS.maxUploads})
  --idle-timeout SECONDS    close a connection after this long without a byte; 0 = never (default ${PUBLIC_DEFAULTS.idleTimeoutSeconds})
  --interop-versions LIST   interop versions answered, e.g. 6,7,8 (default 3,4,5,6,7,8)
  --progress-interim-every N  send a 104 with Upload-Offset every N stored bytes
  --cors-origin ORIGIN      let pages on ORIGIN (e.g. http://localhost:5173) use the server; repeatable or
                            comma-separated; * = any page (upload routes only). Default: none (same-origin only)
  --cors-credentials        also allow credentials (cookies, HTTP auth) from those origins
  --control                 serve the /__control/ fault-injection routes (to allowed origins only)
  --help                    print this text`

/** Bad command-line input: the message is one line. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** Most seconds a timer can wait in Node (2^31 - 1 ms). */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000)

function integer(name: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER, min = 0): number | undefined {
  if (text === undefined) return undefined
  const value = /^\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(text)}`)
  }
  return value
}

function list(values: string[] | undefined): string[] {
  return (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '')
}

/** The parsed command line: server options, or a request for the usage text. */
export type CliCommand = { help: true } | { help: false; options: ReferenceServerOptions }

/** Turns command-line arguments into server options; throws {@link UsageError} on bad input. */
export function parseCliOptions(args: string[]): CliCommand {
  let values
  try {
    ;({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        dir: { type: 'string' },
        'max-size': { type: 'string' },
        'min-size': { type: 'string' },
        'max-append-size': { type: 'string' },
        'min-append-size': { type: 'string' },
        'max-age': { type: 'string' },
        'max-uploads': { type: 'string' },
        'idle-timeout': { type: 'string' },
        'interop-versions': { type: 'string' },
        'progress-interim-every': { type: 'string' },
        'cors-origin': { type: 'string', multiple: true },
        'cors-credentials': { type: 'boolean' },
        control: { type: 'boolean' },
        help: { type: 'boolean' },
      },
    }))
  } catch (error) {
    throw new UsageError(firstLine(error))
  }
  if (values.help) return { help: true }
  if (values.dir !== undefined && values.dir.trim() === '') throw new UsageError('--dir must not be empty')
  const limits: UploadLimits = {
    maxSize: integer('max-size', values['max-size']) ?? PUBLIC_DEFAULTS.maxSize,
    minSize: integer('min-size', values['min-size']),
    maxAppendSize: integer('max-append-size', values['max-append-size']),
    minAppendSize: integer('min-append-size', values['min-append-size']),
    // Expiry times are kept in milliseconds: stay within safe integers after * 1000.
    maxAge: integer('max-age', values['max-age'], Math.floor(Number.MAX_SAFE_INTEGER / 1000 / 2)),
  }
  const versions =
    values['interop-versions'] === undefined ? undefined : list([values['interop-versions']]).map((text) => integer('interop-versions', text, 99) ?? 0)
  if (versions?.length === 0) throw new UsageError('--interop-versions must list at least one version')
  const origins = list(values['cors-origin']).map((origin) => {
    try {
      return normalizeOrigin(origin)
    } catch (error) {
      throw new UsageError(`--cors-origin: ${firstLine(error)}`)
    }
  })
  if (values['cors-credentials'] && origins.length === 0) throw new UsageError('--cors-credentials needs --cors-origin')
  const idle = integer('idle-timeout', values['idle-timeout'], MAX_TIMER_SECONDS) ?? PUBLIC_DEFAULTS.idleTimeoutSeconds
  return {
    help: false,
    options: {
      port: integer('port', values.port, 65535) ?? 0,
      dir: values.dir,
      limits: Object.fromEntries(Object.entries(limits).filter(([, value]) => value !== undefined)),
      interopVersions: versions,
      progressInterimEvery: integer('progress-interim-every', values['progress-interim-every']),
      maxUploads: integer('max-uploads', values['max-uploads'], Number.MAX_SAFE_INTEGER, 1) ?? PUBLIC_DEFAULTS.maxUploads,
      idleTimeoutMs: idle * 1000,
      cors: { origins, credentials: values['cors-credentials'] ?? false },
      control: values.control ?? false,
    },
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error)
  return text.split('\n', 1)[0] ?? text
}

/** Prints a one-line error and the usage; never a stack trace. */
function fail(message: string, code: number): void {
  console.error(`reference server: ${message}`)
  console.error(USAGE)
  process.exitCode = code
}

function describe(options: ReferenceServerOptions): string {
  const origins = options.cors?.origins ?? []
  const cors = origins.length === 0 ? 'none (same-origin only)' : origins.join(', ') + (options.cors?.credentials ? ' (with credentials)' : '')
  const maxSize = options.limits?.maxSize
  return (
    `max-size ${maxSize === undefined ? 'none' : maxSize}, max-uploads ${options.maxUploads}, ` +
    `idle-timeout ${(options.idleTimeoutMs ?? 0) / 1000} s, CORS origins: ${cors}, control routes: ${options.control ? 'on' : 'off'}`
  )
}

async function main(): Promise<void> {
  let command: CliCommand
  try {
    command = parseCliOptions(process.argv.slice(2))
  } catch (error) {
    return fail(firstLine(error), 2)
  }
  if (command.help) {
    console.log(USAGE)
    return
  }
  const { options } = command
  let server
  try {
    server = await startReferenceServer(options)
  } catch (error) {
    // ServerStartError: port in use, unusable directory; TypeError: an option the parser let through.
    return fail(firstLine(error), error instanceof ServerStartError ? 1 : error instanceof TypeError ? 2 : 1)
  }
  console.log(`Reference server listening on ${server.endpoint} (uploads in ${server.dir})`)
  console.log(describe(options))
  let stopping = false
  const shutdown = (signal: string): void => {
    if (stopping) return
    stopping = true
    console.log(`${signal}: stopping`)
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`reference server: ${firstLine(error)}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGINT', () => shutdown('SIGINT'))
  process.once('SIGTERM', () => shutdown('SIGTERM'))
}

await main()

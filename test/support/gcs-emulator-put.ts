/**
 * The GCS emulator's `PUT` to a session URI (chunks and status queries) and its small HTTP helpers.
 * Part of ./gcs-emulator.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { GcsEmulatorOptions, GcsRequestLog } from './gcs-emulator'
import { UNIT, parseContentRange, type ContentRange, type EmulatedSession, type StoredObject } from './gcs-emulator-session'

/** What the emulator's handlers share. */
export interface Context {
  sessions: Map<string, EmulatedSession>
  objects: Map<string, { data: Buffer; object: StoredObject }>
  requests: GcsRequestLog[]
  /** Pending cuts: the next chunk PUT loses its connection after this many body bytes. */
  cuts: number[]
  /** Pending failures: the next PUT is answered with this and changes nothing. */
  failures: Array<{ status: number; headers: Record<string, string> }>
  options: GcsEmulatorOptions
  /** PUTs to session URIs in flight now, and the most at once. */
  inFlight: number
  maxInFlight: number
  /** Chunks from `from` on wait for `released`, then are dropped (see GcsEmulator.holdFrom). */
  hold?: { from: number; released: Promise<void> } | undefined
}

/** A `PUT` to a live session: a status query, a chunk, or a whole upload without `Content-Range`. */
export async function putChunk(ctx: Context, session: EmulatedSession, req: IncomingMessage, res: ServerResponse, log: GcsRequestLog): Promise<void> {
  if (session.object) return drainThen(req, res, log, 200, JSON.stringify(session.object), 'application/json')
  const header = req.headers['content-range']
  const length = Number(req.headers['content-length'] ?? '0')
  // Without Content-Range the request is the whole upload (an empty one finalizes an empty object).
  const whole: ContentRange = length === 0 ? { kind: 'status', total: 0 } : { kind: 'chunk', first: 0, last: length - 1, total: length }
  const range = header === undefined ? whole : parseContentRange(header)
  if (range === undefined) return drainThen(req, res, log, 400, `invalid Content-Range: ${header}`)
  const refused = session.declare(range.total)
  if (refused !== undefined) return drainThen(req, res, log, 400, refused)
  if (range.kind === 'status') {
    const body = await readAll(req, log)
    if (body.length > 0) return answer(res, 400, {}, 'a status query has no body')
    return afterward(ctx, session, res)
  }
  const hold = ctx.hold
  if (hold && range.first >= hold.from) {
    // Held, then dropped: the connection closes and nothing of the chunk is kept.
    await hold.released
    req.socket.destroy()
    return
  }
  if (range.first !== session.persisted)
    return drainThen(req, res, log, 400, `the chunk starts at ${range.first}, the session holds ${session.persisted} bytes`)
  const expected = range.last - range.first + 1
  if (expected !== length) return drainThen(req, res, log, 400, `Content-Length ${length} differs from the Content-Range's ${expected} bytes`)
  const { body, interrupted } = await readChunk(ctx, req, log)
  const final = !interrupted && range.total !== undefined && range.last + 1 === range.total
  const units = Math.floor(body.length / UNIT)
  const keep = final ? units : (ctx.options.keepUnits?.({ offset: range.first, received: body.length, units, interrupted }) ?? units)
  session.persist(body, final, keep)
  if (interrupted) return
  afterward(ctx, session, res)
}

/** The answer once a request was applied: the object when every declared byte is held, else `308` with `Range`. */
function afterward(ctx: Context, session: EmulatedSession, res: ServerResponse): void {
  if (session.total !== undefined && session.persisted === session.total) {
    const object = session.finalize()
    ctx.objects.set(`${session.bucket}/${session.name}`, { data: session.data(), object })
    return answer(res, ctx.options.finalStatus ?? 200, { 'content-type': 'application/json; charset=UTF-8' }, JSON.stringify(object))
  }
  const range = session.range
  answer(res, 308, { 'x-guploader-uploadid': session.id, ...(range === undefined ? {} : { range }) }, '')
}

/** Reads a chunk's body, or its start when the connection is cut (by a pending cut, or by the client). */
async function readChunk(ctx: Context, req: IncomingMessage, log: GcsRequestLog): Promise<{ body: Buffer; interrupted: boolean }> {
  const cutAt = ctx.cuts.shift()
  const pieces: Buffer[] = []
  let received = 0
  try {
    for await (const piece of req) {
      const bytes = piece as Buffer
      if (cutAt !== undefined && received + bytes.length >= cutAt) {
        pieces.push(bytes.subarray(0, cutAt - received))
        received = cutAt
        log.bodyBytes = received
        req.socket.destroy()
        return { body: Buffer.concat(pieces), interrupted: true }
      }
      pieces.push(bytes)
      received += bytes.length
    }
  } catch {
    // The client went away mid-body: what arrived counts as an interrupted chunk.
  }
  log.bodyBytes = received
  const expected = Number(req.headers['content-length'] ?? received)
  return { body: Buffer.concat(pieces), interrupted: req.readableAborted || received < expected }
}

/** Reads a whole body. */
export async function readAll(req: IncomingMessage, log: GcsRequestLog): Promise<Buffer> {
  const pieces: Buffer[] = []
  for await (const piece of req) pieces.push(piece as Buffer)
  const body = Buffer.concat(pieces)
  log.bodyBytes = body.length
  return body
}

/** Reads and drops the body, then answers. */
export async function drainThen(
  req: IncomingMessage,
  res: ServerResponse,
  log: GcsRequestLog,
  status: number,
  text: string,
  type = 'text/plain',
): Promise<void> {
  await readAll(req, log)
  answer(res, status, text === '' ? {} : { 'content-type': type }, text)
}

/** Sends an answer. */
export function answer(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  // setHeader (not writeHead's argument), so that the request log can read them back.
  for (const [name, value] of Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)) })) res.setHeader(name, value)
  res.writeHead(status)
  res.end(body)
}

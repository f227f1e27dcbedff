/**
 * One request and its response: body tapping (with byte counting), raw 104s, final replies with
 * CORS and header faults, and a lingering close when the body was not read.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ClaimedFaults } from './faults'
import { rewriteHeaders } from './faults'
import { corsHeaders } from './cors'
import { declaresBody, INTERIM_STATUS_LINE, spellCompletion, type Interop } from './protocol'
import type { RequestKind } from './types'

/** Problem details (RFC 9457) with extension members. */
export interface Problem {
  type: string
  title: string
  detail?: string
  [extension: string]: unknown
}

/** What an exchange needs from its server. */
export interface ExchangeHooks {
  /** Counts body bytes read off the wire. */
  countBodyBytes(exchange: Exchange, bytes: number): void
  /** See `ReferenceServerOptions.lingerMs`. */
  lingerMs: number
}

/** A request being answered. */
export class Exchange {
  /** The upload this request concerns, once known (a creation learns it after creating). */
  uploadId: string | undefined
  private sink: ((chunk: Buffer) => void) | undefined
  private tapped = false

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly kind: RequestKind | undefined,
    readonly interop: Interop,
    readonly faults: ClaimedFaults,
    private readonly hooks: ExchangeHooks,
  ) {}

  /** Whether the connection is gone. */
  get closed(): boolean {
    return this.req.socket.destroyed
  }

  /** Resolves when the connection closes. */
  whenClosed(): Promise<void> {
    const socket = this.req.socket
    return new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())))
  }

  /** Kills the connection (used when a newer request for the same upload arrives, and by faults). */
  abort(): void {
    this.req.socket.destroy()
  }

  /**
   * Lets the body flow into `sink` (or into nothing, to discard it); sends `100 Continue` first
   * when the client waits for it, unless `sendContinue` is false (a refusal must not invite the
   * body). Every chunk is counted whatever happens to it.
   */
  tap(sink: ((chunk: Buffer) => void) | undefined, sendContinue = true): void {
    this.sink = sink
    if (!this.tapped) {
      this.tapped = true
      if (sendContinue && this.req.headers.expect?.toLowerCase() === '100-continue' && !this.res.headersSent) this.res.writeContinue()
      this.req.on('data', (chunk: Buffer) => {
        this.hooks.countBodyBytes(this, chunk.length)
        this.sink?.(chunk)
      })
      // A reset connection destroys the request with an error; 'close' tells the readers.
      this.req.on('error', () => undefined)
    }
    this.req.resume()
  }

  /** Writes a 104 with the interop version; skipped when the request named no version (draft App. B). */
  sendInterim(fields: Record<string, string>): void {
    if (!this.interop.announced || this.res.headersSent) return
    const socket = this.res.socket
    if (!socket || socket.destroyed || !socket.writable) return
    const headers = rewriteHeaders({ 'Upload-Draft-Interop-Version': String(this.interop.version), ...fields }, this.faults.interimHeaders)
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`)
    socket.write(`${INTERIM_STATUS_LINE}\r\n${lines.join('')}\r\n`)
  }

  /**
   * Sends the final response, with CORS headers and any headers fault applied; `Upload-Complete`
   * is spelled as the request's interop version spells it (`Upload-Incomplete` at 3). A pending destroy
   * fault destroys the connection instead. A body left unread is drained and the connection closed.
   */
  reply(status: number, headers: Record<string, string> = {}, body?: string): void {
    if (this.res.headersSent || this.closed) return
    if (this.faults.destroy) {
      this.abort()
      return
    }
    const all: Record<string, string> = { ...corsHeaders(this.req), ...spellCompletion(headers, this.interop.version) }
    if (body !== undefined) all['Content-Length'] = String(Buffer.byteLength(body))
    else if (status !== 204 && status !== 304) all['Content-Length'] = '0'
    if (declaresBody(this.req) && !this.req.readableEnded) {
      all.Connection = 'close'
      this.lingerAfterResponse()
      this.tap(undefined, false)
    }
    this.res.writeHead(status, rewriteHeaders(all, this.faults.headers))
    this.res.end(this.req.method === 'HEAD' ? undefined : body)
  }

  /** Sends an `application/problem+json` response. */
  problem(status: number, problem: Problem, headers: Record<string, string> = {}): void {
    const body = JSON.stringify({ status, ...problem })
    this.reply(status, { ...headers, 'Content-Type': 'application/problem+json' }, body)
  }

  /** Sends a JSON response. */
  json(status: number, value: unknown, headers: Record<string, string> = {}): void {
    this.reply(status, { ...headers, 'Content-Type': 'application/json' }, JSON.stringify(value))
  }

  /**
   * Node destroys a `Connection: close` socket as soon as the response is written; with request
   * bytes still unread the kernel then sends a reset that can reach the client before it has read
   * the response. Half-close instead and drain until the client closes or `lingerMs` passes.
   */
  private lingerAfterResponse(): void {
    const socket = this.req.socket
    const ms = this.hooks.lingerMs
    socket.destroySoon = () => {
      if (socket.writable) socket.end()
      const timer = setTimeout(() => socket.destroy(), ms)
      socket.once('close', () => clearTimeout(timer))
    }
  }
}

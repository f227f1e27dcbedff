/**
 * A TCP proxy on 127.0.0.1 that reads the HTTP/1.1 framing of what clients send (request heads,
 * Content-Length bodies, keep-alive), times every body byte, and cuts a connection inside a body
 * where a {@link CutPlan} says: the bytes before the cut reach the server, then both sides are
 * destroyed. Everything else passes unchanged in both directions (1xx responses included), and the
 * `Host` header names the tap, so a tus server's `Location` points back at it.
 * @module
 */
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { bodyRequest, receive, type BodyRequest, type CutPlan } from './body-requests'

/** A running tap. */
export interface WireTap {
  /** Origin, e.g. `http://127.0.0.1:41237`. */
  url: string
  /** Requests that carried a body, in order of arrival. */
  requests: BodyRequest[]
  /** Stops listening and destroys every connection. */
  close(): Promise<void>
}

const HEAD_END = Buffer.from('\r\n\r\n')
const MAX_HEAD_BYTES = 64 * 1024

interface Head {
  method: string
  headers: Map<string, string>
}

function parseHead(bytes: Buffer): Head {
  const [requestLine = '', ...lines] = bytes.toString('latin1').split('\r\n')
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  return { method: requestLine.split(' ')[0] ?? '', headers }
}

/** Follows one connection's requests; `onCut` fires when the plan's position is reached. */
class Framer {
  private head = Buffer.alloc(0)
  private remaining = 0
  private current: BodyRequest | undefined
  /** Set once framing is lost (chunked bodies are not parsed): the rest is passed through. */
  private opaque = false

  constructor(
    private readonly requests: BodyRequest[],
    private readonly plan: CutPlan,
  ) {}

  /**
   * Takes bytes from the client and returns how many of them to forward: all of them, or fewer
   * when the connection is to be cut after them (`cut` true).
   */
  push(chunk: Buffer, at: number): { forward: number; cut: boolean } {
    let used = 0
    while (used < chunk.length && !this.opaque) {
      if (this.remaining > 0 && this.current) {
        const take = Math.min(this.remaining, chunk.length - used)
        const cutAfter = this.current.cutAfter
        if (cutAfter !== undefined && this.current.received + take >= cutAfter) {
          const upTo = cutAfter - this.current.received
          receive(this.current, take, at)
          return { forward: used + upTo, cut: true }
        }
        receive(this.current, take, at)
        this.remaining -= take
        used += take
        continue
      }
      used = this.readHead(chunk, used)
    }
    return { forward: chunk.length, cut: false }
  }

  /** Reads head bytes from `chunk` at `from`; returns where the head ended (or the chunk's end). */
  private readHead(chunk: Buffer, from: number): number {
    const before = this.head.length
    this.head = Buffer.concat([this.head, chunk.subarray(from)])
    const end = this.head.indexOf(HEAD_END)
    if (end < 0) {
      if (this.head.length > MAX_HEAD_BYTES) this.opaque = true
      return chunk.length
    }
    const head = parseHead(this.head.subarray(0, end))
    this.head = Buffer.alloc(0)
    const consumed = from + (end + HEAD_END.length - before)
    if (head.headers.has('transfer-encoding')) {
      this.opaque = true
      return consumed
    }
    const length = Number(head.headers.get('content-length') ?? '0')
    this.remaining = Number.isSafeInteger(length) && length > 0 ? length : 0
    if (this.remaining > 0) {
      const offset = head.method === 'POST' ? 0 : Number(head.headers.get('upload-offset') ?? '0')
      this.current = bodyRequest(offset, this.remaining, this.plan.cutAfter(offset, this.remaining))
      this.requests.push(this.current)
    } else {
      this.current = undefined
    }
    return consumed
  }
}

/** Pipes `client` to `upstream` through a framer, cutting both where the plan says. */
function relay(client: Socket, upstream: Socket, framer: Framer): void {
  client.on('data', (chunk: Buffer) => {
    const { forward, cut } = framer.push(chunk, performance.now())
    const piece = forward === chunk.length ? chunk : chunk.subarray(0, forward)
    if (cut) {
      client.pause()
      upstream.write(piece, () => {
        upstream.destroy()
        client.destroy()
      })
      return
    }
    if (!upstream.write(piece)) {
      client.pause()
      upstream.once('drain', () => client.resume())
    }
  })
  client.on('end', () => upstream.end())
  client.on('error', () => upstream.destroy())
  client.on('close', () => upstream.destroy())
  upstream.on('error', () => client.destroy())
  upstream.on('close', () => client.destroy())
  upstream.pipe(client)
}

/** Starts a tap in front of `target` (an origin such as `http://127.0.0.1:41234`), cutting per `plan`. */
export async function startWireTap(target: string, plan: CutPlan): Promise<WireTap> {
  const upstreamUrl = new URL(target)
  const requests: BodyRequest[] = []
  const sockets = new Set<Socket>()
  const track = (socket: Socket): void => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  }
  const server: Server = createServer((client) => {
    const upstream = connect(Number(upstreamUrl.port), upstreamUrl.hostname)
    track(client)
    track(upstream)
    relay(client, upstream, new Framer(requests, plan))
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => done())
      }),
  }
}

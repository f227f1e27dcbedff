/**
 * A small HTTP proxy on 127.0.0.1 in front of a test server, for faults the server cannot make
 * itself: it can cut a request's connection after N body bytes (the bytes before the cut reach
 * the server, as on a real network), flip one byte of a body (to test checksums), and translate
 * `X-HTTP-Method-Override` into the real method, as front ends in the field do. It records every
 * request it forwards. Headers, including `Host`, pass unchanged, so the server's `Location`
 * points back at the proxy.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A one-shot fault, taken by the next request with its method. */
export interface ProxyFault {
  /** `cut`: destroy the connection after `at` body bytes; `corrupt`: flip the byte at index `at`. */
  readonly type: 'cut' | 'corrupt'
  /** Body byte index. */
  readonly at: number
  /** The (effective) method it applies to. */
  readonly method: string
  /** 1 once it fired. */
  hits: number
}

/** A request the proxy forwarded. */
export interface ProxiedRequest {
  /** The method on the wire. */
  method: string
  /** The method the server saw (the override's, when translated). */
  effectiveMethod: string
  /** Path and query. */
  url: string
  /** Request headers as received. */
  headers: IncomingHttpHeaders
  /** Body bytes forwarded. */
  bodyBytes: number
  /** The server's status; undefined when the request was cut or failed. */
  status: number | undefined
  /** The server's response headers; undefined when the request was cut or failed. */
  responseHeaders: IncomingHttpHeaders | undefined
  /** The fault applied, if any. */
  fault: ProxyFault['type'] | undefined
}

/** Options of {@link startCuttingProxy}. */
export interface CuttingProxyOptions {
  /** Forward `POST` + `X-HTTP-Method-Override: M` as method M (header removed). Default: false. */
  methodOverride?: boolean
}

/** A running proxy. */
export interface CuttingProxy {
  /** The proxy's origin, e.g. `http://127.0.0.1:41235`. */
  url: string
  /** Requests forwarded so far, in order of arrival. */
  requests: ProxiedRequest[]
  /** Cuts the next `method` request (default PATCH) after `afterBytes` body bytes. */
  cut(afterBytes: number, method?: string): ProxyFault
  /** Flips the body byte at `index` of the next `method` request (default PATCH). */
  corrupt(index: number, method?: string): ProxyFault
  /** Drops pending faults and the request log. */
  clear(): void
  /** Stops listening and closes connections. */
  close(): Promise<void>
}

/**
 * Starts a proxy forwarding to `target` (an origin such as `http://127.0.0.1:41234`).
 * @example
 * const proxy = await startCuttingProxy(tus.url)
 * proxy.cut(3 * 1024 * 1024) // the next PATCH loses its connection after 3 MiB
 */
export async function startCuttingProxy(target: string, options: CuttingProxyOptions = {}): Promise<CuttingProxy> {
  const upstream = new URL(target)
  const faults: ProxyFault[] = []
  const requests: ProxiedRequest[] = []
  const take = (method: string): ProxyFault | undefined => {
    const index = faults.findIndex((fault) => fault.method === method)
    return index < 0 ? undefined : faults.splice(index, 1)[0]
  }
  const server = createServer((req, res) => {
    const override = req.headers['x-http-method-override']
    const translate = options.methodOverride === true && req.method === 'POST' && typeof override === 'string'
    const method = translate ? override.toUpperCase() : (req.method ?? 'GET')
    const headers = { ...req.headers }
    if (translate) delete headers['x-http-method-override']
    const fault = take(method)
    const record: ProxiedRequest = {
      method: req.method ?? 'GET',
      effectiveMethod: method,
      url: req.url ?? '/',
      headers: req.headers,
      bodyBytes: 0,
      status: undefined,
      responseHeaders: undefined,
      fault: fault?.type,
    }
    requests.push(record)
    forward(req, res, { hostname: upstream.hostname, port: upstream.port, method, path: record.url, headers }, fault, record)
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => done())
  })
  const add = (type: ProxyFault['type'], at: number, method: string): ProxyFault => {
    const fault: ProxyFault = { type, at, method, hits: 0 }
    faults.push(fault)
    return fault
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    cut: (afterBytes, method = 'PATCH') => add('cut', afterBytes, method),
    corrupt: (index, method = 'PATCH') => add('corrupt', index, method),
    clear: () => {
      faults.length = 0
      requests.length = 0
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

interface UpstreamRequest {
  hostname: string
  port: string
  method: string
  path: string
  headers: IncomingHttpHeaders
}

/** Pipes `req` to the server with backpressure, applying `fault`, and the answer back to `res`. */
function forward(req: IncomingMessage, res: ServerResponse, target: UpstreamRequest, fault: ProxyFault | undefined, record: ProxiedRequest): void {
  // A fresh connection per request, so a cut affects that request only.
  const outgoing = httpRequest({ ...target, agent: false })
  let cut = false
  outgoing.on('response', (answer) => {
    record.status = answer.statusCode
    record.responseHeaders = answer.headers
    res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers)
    answer.pipe(res)
  })
  outgoing.on('error', () => {
    if (cut) return
    if (res.headersSent) res.destroy()
    else res.writeHead(502).end()
  })
  req.on('data', (piece: Buffer) => {
    if (cut) return
    const start = record.bodyBytes
    let bytes = piece
    if (fault?.type === 'corrupt' && fault.at >= start && fault.at < start + piece.length) {
      bytes = Buffer.from(piece)
      bytes[fault.at - start] = (bytes[fault.at - start] ?? 0) ^ 0xff
      fault.hits++
    }
    if (fault?.type === 'cut' && start + piece.length >= fault.at) {
      cut = true
      fault.hits++
      record.bodyBytes = fault.at
      req.pause()
      // The bytes before the cut reach the server; then both connections drop.
      outgoing.write(bytes.subarray(0, fault.at - start), () => {
        outgoing.destroy()
        req.socket.destroy()
      })
      return
    }
    record.bodyBytes += piece.length
    if (!outgoing.write(bytes)) {
      req.pause()
      outgoing.once('drain', () => req.resume())
    }
  })
  req.on('end', () => {
    if (!cut) outgoing.end()
  })
  req.on('close', () => {
    if (!cut && !req.complete) outgoing.destroy()
  })
}

/**
 * A small static file server on 127.0.0.1 for browser tests and the demo. It serves files under
 * the given directories only (no listing, no path traversal) and never caches.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize, resolve, sep } from 'node:path'

const MEDIA_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** A running static server. */
export interface StaticServer {
  /** Origin, e.g. `http://127.0.0.1:5173`. */
  url: string
  /** Stops listening and closes open connections. */
  close(): Promise<void>
}

/**
 * Serves `mounts` (URL prefix -> directory), e.g. `{ '/': 'demo', '/dist/': 'dist' }`.
 * `index.html` answers for a directory path. `handle`, when given, sees each request first and
 * returns true for those it answers itself (the demo's `/api/` routes, on the page's origin).
 */
export async function startStaticServer(
  mounts: Record<string, string>,
  port = 0,
  handle?: (req: IncomingMessage, res: ServerResponse) => boolean,
): Promise<StaticServer> {
  const entries = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)] as const)
    .sort((a, b) => b[0].length - a[0].length)
  const server: Server = createServer((req, res) => {
    if (handle?.(req, res)) return
    void serveFile(entries, req.url ?? '/').then(
      (file) => {
        if (!file) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found')
          return
        }
        res.writeHead(200, {
          'content-type': MEDIA_TYPES[extname(file.path)] ?? 'application/octet-stream',
          'content-length': file.size,
          'cache-control': 'no-store',
        })
        if (req.method === 'HEAD') res.end()
        else createReadStream(file.path).pipe(res)
      },
      () => res.writeHead(500).end(),
    )
  })
  await new Promise<void>((done, fail) => {
    server.once('error', fail)
    server.listen(port, '127.0.0.1', () => done())
  })
  const { port: actual } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${actual}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections()
        server.close(() => done())
      }),
  }
}

async function serveFile(mounts: ReadonlyArray<readonly [string, string]>, rawUrl: string): Promise<{ path: string; size: number } | undefined> {
  const pathname = decodeURIComponent(new URL(rawUrl, 'http://x').pathname)
  const mount = mounts.find(([prefix]) => pathname.startsWith(prefix))
  if (!mount) return undefined
  const [prefix, dir] = mount
  let path = normalize(join(dir, pathname.slice(prefix.length)))
  if (path !== dir && !path.startsWith(dir + sep)) return undefined
  try {
    let info = await stat(path)
    if (info.isDirectory()) {
      path = join(path, 'index.html')
      info = await stat(path)
    }
    return info.isFile() ? { path, size: info.size } : undefined
  } catch {
    return undefined
  }
}

/** Answers an empty page titled `title` at every path: a page origin for tests that add their scripts themselves. */
export function startBlankPage(title: string): Promise<StaticServer> {
  return startStaticServer({}, 0, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(`<!doctype html><title>${title}</title>`)
    return true
  })
}

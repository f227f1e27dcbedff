/**
 * The test backend over HTTP, for Chromium tests (and as the shape of the README's backend): a
 * tiny JSON endpoint on 127.0.0.1 with one `POST` route per callback, CORS open to any origin, and
 * `GET /` answering an empty page, so that a test page can live on this origin. The client side
 * is s3-backend-client.ts.
 *
 * Each route takes `{ file, ...options }` (options without the signal) and answers the callback's
 * result as JSON (`null` for none), or `{ error: { code, message } }` with S3's status (500 when
 * the callback threw something else).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { S3File } from '../../src/protocols/s3-types'
import { S3BackendError, type S3TestBackend } from './s3-backend'
import { S3_ROUTES, type S3Route } from './s3-backend-client'

/** A running endpoint. */
export interface S3BackendEndpoint {
  /** `http://127.0.0.1:<port>`. */
  url: string
  /** Stops it. */
  close(): Promise<void>
}

const CORS = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type' }

/** Serves `backend` over HTTP. */
export async function serveS3Backend(backend: S3TestBackend): Promise<S3BackendEndpoint> {
  const server = createServer((req, res) => {
    void route(backend, req, res).catch((error: unknown) => answer(res, 500, { error: { code: 'BackendFailed', message: String(error) } }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * Answers one request to the endpoint's routes ({@link S3_ROUTES}, matched against `req.url`);
 * rejects when the backend throws something other than an S3BackendError. Exported for servers
 * that mount the routes themselves (demo/api.ts, under `/api`).
 */
export async function route(backend: S3TestBackend, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'OPTIONS') return answer(res, 204, undefined)
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    return void res.end('<!doctype html><title>s3 backend</title>')
  }
  const name = Object.entries(S3_ROUTES).find(([, path]) => path === req.url)?.[0] as S3Route | undefined
  if (req.method !== 'POST' || name === undefined) return answer(res, 404, { error: { code: 'NotFound', message: `${req.method} ${req.url}` } })
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const { file, ...options } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { file: S3File } & Record<string, unknown>
  const signal = new AbortController().signal
  try {
    const result = await call(backend, name, file, { ...options, signal })
    answer(res, 200, result ?? null)
  } catch (error) {
    if (!(error instanceof S3BackendError)) throw error
    answer(res, error.status, { error: { code: error.code, message: error.message } })
  }
}

function call(backend: S3TestBackend, name: S3Route, file: S3File, options: Record<string, unknown> & { signal: AbortSignal }): Promise<unknown> {
  // The JSON body is the backend's input as the client sent it; the backend validates what it uses.
  const upload = options as unknown as Parameters<S3TestBackend['listParts']>[1]
  switch (name) {
    case 'createMultipartUpload':
      return Promise.resolve(backend.createMultipartUpload(file, options.signal))
    case 'signPart':
      return Promise.resolve(backend.signPart(file, options as unknown as Parameters<S3TestBackend['signPart']>[1]))
    case 'listParts':
      return Promise.resolve(backend.listParts(file, upload))
    case 'completeMultipartUpload':
      return Promise.resolve(backend.completeMultipartUpload(file, options as unknown as Parameters<S3TestBackend['completeMultipartUpload']>[1]))
    case 'abortMultipartUpload':
      return Promise.resolve(backend.abortMultipartUpload(file, upload))
  }
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, { ...CORS, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

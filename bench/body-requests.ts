/**
 * What the resume-waste runs record about each request that carries upload bytes, wherever they
 * are observed (the reference server for ietf, the wire tap for tus), and what is computed from it.
 * @module
 */

/** One request with a body, as seen on the server side. */
export interface BodyRequest {
  /** Byte position of the file where the body starts (`Upload-Offset`, 0 for a creation). */
  offset: number
  /** Content-Length. */
  length: number
  /** Body bytes received. */
  received: number
  /** When its first body byte arrived (ms, performance.now()). */
  firstByteAt: number | undefined
  /** When its last body byte arrived. */
  lastByteAt: number | undefined
  /** Body bytes after which the connection is to be cut, when this request is cut. */
  cutAfter: number | undefined
}

/** A new record for a request whose head just arrived. */
export function bodyRequest(offset: number, length: number, cutAfter: number | undefined): BodyRequest {
  return { offset, length, received: 0, firstByteAt: undefined, lastByteAt: undefined, cutAfter }
}

/** Counts `bytes` of body arriving now. */
export function receive(request: BodyRequest, bytes: number, at: number): void {
  if (bytes <= 0) return
  request.received += bytes
  request.firstByteAt ??= at
  request.lastByteAt = at
}

/**
 * The file positions where connections are to be cut, consumed in order: a request carrying the
 * bytes `[offset, offset + length)` is cut inside at the first planned position it contains.
 */
export class CutPlan {
  private readonly pending: number[]

  /** @param points sorted byte positions of the file */
  constructor(readonly points: readonly number[]) {
    this.pending = [...points]
  }

  /** Body bytes after which to cut a request carrying `[offset, offset + length)`, or undefined. */
  cutAfter(offset: number, length: number): number | undefined {
    // Positions the upload has moved past (never inside a request) are dropped.
    while (this.pending.length > 0 && (this.pending[0] as number) <= offset) this.pending.shift()
    const next = this.pending[0]
    if (next === undefined || next >= offset + length) return undefined
    this.pending.shift()
    return next - offset
  }
}

/** Cuts that happened, bytes sent and the delay after each cut until the next body byte. */
export interface WasteFigures {
  cuts: number
  bytesSent: number
  resumeDelaysMs: number[]
}

/**
 * Reads the requests of one upload, in order of arrival. A cut request's disconnect is the arrival
 * of its last body byte (the one that reached the cut); the delay runs to the first body byte of
 * the next request that carried any.
 */
export function wasteFigures(requests: readonly BodyRequest[]): WasteFigures {
  let cuts = 0
  const resumeDelaysMs: number[] = []
  requests.forEach((request, index) => {
    if (request.cutAfter === undefined || request.received < request.cutAfter || request.lastByteAt === undefined) return
    cuts++
    const next = requests.slice(index + 1).find((later) => later.firstByteAt !== undefined)
    if (next?.firstByteAt !== undefined) resumeDelaysMs.push(next.firstByteAt - request.lastByteAt)
  })
  return { cuts, bytesSent: requests.reduce((sum, request) => sum + request.received, 0), resumeDelaysMs }
}

/**
 * RFC 9457 problem details (`application/problem+json`), read strictly: only the members a
 * protocol needs, each with its exact JSON type.
 * @module
 */
import type { HttpResponse } from '../types'

/** The problem type a server uses for an offset mismatch (draft §7.1). */
export const MISMATCHING_OFFSET_PROBLEM = 'https://iana.org/assignments/http-problem-types#mismatching-upload-offset'

/** The members of a problem document a protocol looks at. */
export interface ProblemDetails {
  /** The `type` URI, when it is a string. */
  type: string | undefined
  /** The `title`, when it is a string. */
  title: string | undefined
  /** Every member, as parsed. */
  members: Record<string, unknown>
}

/**
 * The problem document in `response`, or undefined when its media type is not
 * `application/problem+json` (or `application/json`) or its body is not a JSON object.
 */
export function parseProblem(response: HttpResponse): ProblemDetails | undefined {
  const mediaType = (response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
  if (mediaType !== 'application/problem+json' && mediaType !== 'application/json') return undefined
  let body: unknown
  try {
    body = JSON.parse(response.body)
  } catch {
    return undefined
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  const members = body as Record<string, unknown>
  return {
    type: typeof members.type === 'string' ? members.type : undefined,
    title: typeof members.title === 'string' ? members.title : undefined,
    members,
  }
}

/**
 * The `expected-offset` of a mismatching-upload-offset problem in `response`, when it is a
 * non-negative safe integer; undefined otherwise (also when the problem has another `type`).
 */
export function expectedOffset(response: HttpResponse): number | undefined {
  const problem = parseProblem(response)
  if (problem === undefined || (problem.type !== undefined && problem.type !== MISMATCHING_OFFSET_PROBLEM)) return undefined
  const value = problem.members['expected-offset']
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

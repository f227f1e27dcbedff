/**
 * What the driver hands a Node client process, and what the process answers: one JSON line.
 * @module
 */
import type { UploadConfig } from './configs'

/** One upload for a client process. */
export interface NodeJob {
  config: UploadConfig
  /** Where to create the upload. */
  endpoint: string
  /** The file to upload. */
  file: string
  /** Its size in bytes. */
  size: number
}

/** A finished upload, as the client process measured it. */
export interface NodeJobSuccess {
  ok: true
  /** The upload URL (the ceiling: the plain upload's Location). */
  url: string
  /** Wall time of the upload in ms. */
  ms: number
  /** CPU seconds (user + system) the process spent during the upload. */
  cpuSeconds: number
  /** Peak RSS of the process at the end, in bytes (VmHWM on Linux, else `resourceUsage().maxRSS`). */
  maxRssBytes: number
  /** RSS just before the upload started, in bytes. */
  baselineRssBytes: number
}

/** A failed upload. */
export interface NodeJobFailure {
  ok: false
  error: string
}

/** The line a client process prints. */
export type NodeJobResult = NodeJobSuccess | NodeJobFailure

/** The marker that starts the result line on the client's stdout. */
export const RESULT_MARKER = 'BENCH-RESULT '

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/** Reads a job from JSON (argv), throwing TypeError when it is not one. */
export function parseJob(text: string | undefined): NodeJob {
  const value: unknown = JSON.parse(text ?? 'null')
  if (!isRecord(value) || !isRecord(value.config) || typeof value.endpoint !== 'string' || typeof value.file !== 'string' || typeof value.size !== 'number') {
    throw new TypeError('node-client: expected a NodeJob as JSON in argv[2]')
  }
  return value as unknown as NodeJob
}

/** Reads a result line, or undefined when `line` is not one. */
export function parseResult(line: string): NodeJobResult | undefined {
  if (!line.startsWith(RESULT_MARKER)) return undefined
  const value: unknown = JSON.parse(line.slice(RESULT_MARKER.length))
  if (!isRecord(value) || typeof value.ok !== 'boolean') return undefined
  return value as unknown as NodeJobResult
}

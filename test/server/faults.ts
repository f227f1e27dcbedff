/**
 * Fault injection: tests (or `/__control/faults`) register faults; each request claims at most one
 * fault of each type among those that match it.
 * @module
 */
import type { ActiveFault, DestroyFault, Fault, FaultableKind, FaultMatch, HeadersFault, StallFault, StatusFault } from './types'

/** The faults one request claimed. */
export interface ClaimedFaults {
  destroy?: ActiveFault<DestroyFault>
  status?: ActiveFault<StatusFault>
  stall?: ActiveFault<StallFault>
  /** Rewrites the final response. */
  headers?: ActiveFault<HeadersFault>
  /** Rewrites the 104s. */
  interimHeaders?: ActiveFault<HeadersFault>
}

/** What a request looks like to fault matching. */
export interface FaultTarget {
  kind: FaultableKind
  method: string
  uploadId: string | undefined
}

const KINDS: readonly string[] = ['create', 'append', 'head', 'delete', 'options', 'plain']
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Header values may not contain CR, LF or NUL: a fault must not be able to split a response.
const FIELD_VALUE = /^[^\r\n\0]*$/

function fail(message: string): never {
  throw new TypeError(`invalid fault: ${message}`)
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${what} must be an object`)
  return value as Record<string, unknown>
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key))
  if (unknown.length > 0) fail(`${what} has unknown keys: ${unknown.join(', ')}`)
}

function count(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(`${what} must be a non-negative integer`)
  return value
}

function validateMatch(value: unknown): FaultMatch | undefined {
  if (value === undefined) return undefined
  const match = record(value, 'match')
  onlyKeys(match, ['kind', 'method', 'uploadId'], 'match')
  if (match.kind !== undefined && (typeof match.kind !== 'string' || !KINDS.includes(match.kind))) fail(`match.kind must be one of ${KINDS.join(', ')}`)
  if (match.method !== undefined && (typeof match.method !== 'string' || !TOKEN.test(match.method))) fail('match.method must be a method name')
  if (match.uploadId !== undefined && typeof match.uploadId !== 'string') fail('match.uploadId must be a string')
  return match as FaultMatch
}

function validateTimes(value: unknown): number {
  if (value === undefined) return 1
  if (value === Infinity || value === -1) return Infinity
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail('times must be a positive integer, Infinity or -1')
  return value
}

function validateHeaders(fault: Record<string, unknown>): void {
  if (fault.set !== undefined) {
    for (const [name, value] of Object.entries(record(fault.set, 'set'))) {
      if (!TOKEN.test(name) || typeof value !== 'string' || !FIELD_VALUE.test(value)) fail(`set.${name} is not a valid header`)
    }
  }
  if (fault.remove !== undefined) {
    if (!Array.isArray(fault.remove) || !fault.remove.every((name) => typeof name === 'string' && TOKEN.test(name))) fail('remove must be header names')
  }
  if (fault.interim !== undefined && typeof fault.interim !== 'boolean') fail('interim must be a boolean')
}

const TYPE_KEYS: Record<Fault['type'], readonly string[]> = {
  destroy: ['afterBytes'],
  status: ['status', 'retryAfter', 'body'],
  stall: ['ms'],
  headers: ['set', 'remove', 'interim'],
}

/** Checks a fault (e.g. parsed JSON) and returns it with `times` filled in; throws TypeError otherwise. */
export function validateFault(input: unknown): Fault {
  const fault = record(input, 'fault')
  const type = fault.type
  if (type !== 'destroy' && type !== 'status' && type !== 'stall' && type !== 'headers') fail('type must be destroy, status, stall or headers')
  onlyKeys(fault, ['type', 'match', 'times', ...TYPE_KEYS[type]], 'fault')
  validateMatch(fault.match)
  const times = validateTimes(fault.times)
  if (type === 'destroy') count(fault.afterBytes, 'afterBytes')
  if (type === 'status') {
    if (typeof fault.status !== 'number' || !Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599) fail('status must be 200..599')
    if (fault.retryAfter !== undefined) count(fault.retryAfter, 'retryAfter')
    if (fault.body !== undefined && typeof fault.body !== 'string') fail('body must be a string')
  }
  if (type === 'stall' && fault.ms !== undefined) count(fault.ms, 'ms')
  if (type === 'headers') validateHeaders(fault)
  return { ...fault, times } as unknown as Fault
}

function matches(match: FaultMatch | undefined, target: FaultTarget): boolean {
  if (!match) return true
  if (match.kind !== undefined && match.kind !== target.kind) return false
  if (match.method !== undefined && match.method.toUpperCase() !== target.method.toUpperCase()) return false
  return match.uploadId === undefined || match.uploadId === target.uploadId
}

function slotOf(fault: ActiveFault): keyof ClaimedFaults {
  if (fault.type === 'headers') return fault.interim === true ? 'interimHeaders' : 'headers'
  return fault.type
}

/** The faults of one server. */
export class FaultRegistry {
  private readonly entries: Array<{ fault: ActiveFault; remaining: number }> = []
  private nextId = 1

  /** Registers a fault (validated; throws TypeError) and returns it; its `hits` grows as it fires. */
  add<F extends Fault>(fault: F): ActiveFault<F> {
    const valid = validateFault(fault)
    const active = { ...valid, id: this.nextId++, hits: 0 } as unknown as ActiveFault<F>
    this.entries.push({ fault: active, remaining: valid.times ?? 1 })
    return active
  }

  /** Removes every fault. */
  clear(): void {
    this.entries.length = 0
  }

  /** Every registered fault, spent ones included. */
  list(): ActiveFault[] {
    return this.entries.map((entry) => entry.fault)
  }

  /** Claims, for one request, the first matching unspent fault of each type. */
  claim(target: FaultTarget): ClaimedFaults {
    const claimed: ClaimedFaults = {}
    const slots = claimed as Record<keyof ClaimedFaults, ActiveFault | undefined>
    for (const entry of this.entries) {
      const slot = slotOf(entry.fault)
      if (entry.remaining <= 0 || slots[slot] !== undefined || !matches(entry.fault.match, target)) continue
      entry.remaining--
      entry.fault.hits++
      slots[slot] = entry.fault
    }
    return claimed
  }
}

/** Applies a headers fault to a header set (names compared case-insensitively). */
export function rewriteHeaders(headers: Record<string, string>, fault: HeadersFault | undefined): Record<string, string> {
  if (!fault) return headers
  const drop = new Set([...(fault.remove ?? []), ...Object.keys(fault.set ?? {})].map((name) => name.toLowerCase()))
  const result: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) if (!drop.has(name.toLowerCase())) result[name] = value
  return { ...result, ...fault.set }
}

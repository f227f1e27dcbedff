/**
 * The one settings table (src/upload/settings.ts) against the README's "## Options" table: the
 * same option names in the same order, and each README default is what the table holds (plain
 * values formatted here; the environment-decided ones checked against their resolvers). Also the
 * resolution of options over defaults and the unknown-option check.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  BY_ENVIRONMENT,
  DEFAULT_CHUNK_SIZE,
  SETTINGS,
  UPLOAD_OPTION_NAMES,
  checkUploadOptions,
  defaultChunkSize,
  resolveSettings,
} from '../../src/upload/settings'
import type { UploadOptions } from '../../src/options'

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The README's options table as option name -> default cell. */
function readmeOptions(): Map<string, string> {
  const section = readme.split(/^## Options\s*$/m)[1]?.split(/^## /m)[0] ?? ''
  const rows = section.split('\n').filter((line) => /^\| `\w+` \|/.test(line))
  return new Map(
    rows.map((row) => {
      const [, name = '', value = ''] = row.split('|').map((cell) => cell.trim())
      return [name.replaceAll('`', ''), value]
    }),
  )
}

/** How the README writes a plain default. */
function formatDefault(name: string, value: unknown): string {
  if (value === undefined) return '—'
  if (name === 'retry') {
    const retry = value as typeof SETTINGS.retry
    return `${retry.retries} retries, ${retry.minTimeout} ms → ${retry.maxTimeout / 1000} s, ×${retry.factor}${retry.randomize ? ', jitter' : ''}`
  }
  if (name === 'maxRetryAfter') return `${String(value)} s`
  if (name === 'stallTimeout') return `${String(value).replace(/(\d)(?=(\d{3})+$)/g, '$1 ')} ms`
  if (typeof value === 'string') return `\`'${value}'\``
  if (typeof value === 'boolean' || Array.isArray(value) || typeof value === 'object') return `\`${JSON.stringify(value)}\``
  return String(value)
}

/** What the README must say for options the environment decides. */
const ENVIRONMENT_DEFAULTS: Record<string, string> = {
  chunkSize: 'adaptive (from 8 MiB, grows while throughput grows, ≤ 256 MiB); `Infinity` in Node with IETF',
  transport: "`'xhr'` (browser), `'node-http'` (Node)",
  store: "`'indexeddb'` (browser), `'file'` (Node)",
  storeDirectory: 'per-user state directory (see "Resume after reload")',
  fingerprint: 'name, size, type, lastModified, endpoint',
}

describe('the README options table', () => {
  const documented = readmeOptions()

  it('names every option of the settings table, and no other', () => {
    expect([...documented.keys()].sort()).toEqual([...UPLOAD_OPTION_NAMES].sort())
  })

  it.each(Object.entries(SETTINGS))('states the default of `%s` as the table holds it', (name, value) => {
    const expected = value === BY_ENVIRONMENT ? ENVIRONMENT_DEFAULTS[name] : formatDefault(name, value)
    expect(documented.get(name)).toBe(expected)
  })

  it('states the chunk size defaults the resolver gives', () => {
    expect(DEFAULT_CHUNK_SIZE).toBe(8 * 1024 * 1024)
    expect(defaultChunkSize({ seesInterimResponses: false, earlyLocation: true })).toBe(DEFAULT_CHUNK_SIZE)
    expect(defaultChunkSize({ seesInterimResponses: true, earlyLocation: false })).toBe(DEFAULT_CHUNK_SIZE)
    expect(defaultChunkSize({ seesInterimResponses: true, earlyLocation: true })).toBe(Infinity)
  })
})

describe('resolveSettings', () => {
  it('fills every plain default from the table', () => {
    const settings = resolveSettings({ endpoint: '/u' })
    expect(settings).toMatchObject({
      protocol: 'ietf',
      interopVersion: 8,
      maxRestarts: 3,
      maxRetryAfter: 300,
      stallTimeout: 30_000,
      lock: 'wait',
      restartOnGone: true,
    })
    expect(settings.retry).toEqual(SETTINGS.retry)
  })

  it('takes what the options set, and merges retry member by member', () => {
    const settings = resolveSettings({ endpoint: '/u', maxRestarts: 0, restartOnGone: false, retry: { retries: 2 }, lock: 'fail' })
    expect(settings).toMatchObject({ maxRestarts: 0, restartOnGone: false, lock: 'fail' })
    expect(settings.retry).toEqual({ ...SETTINGS.retry, retries: 2 })
  })

  it('checks the options with the same table', () => {
    expect(() => resolveSettings({ endpoint: '/u', chunksize: 1 } as UploadOptions)).toThrow(/unknown option `chunksize` \(did you mean `chunkSize`\?\)/)
    expect(() => checkUploadOptions({ endpoint: '/u', chunkSize: 0 })).toThrow(RangeError)
  })

  it('concurrency: default 4; a positive integer, else RangeError (NaN and Infinity too)', () => {
    expect(resolveSettings({ endpoint: '/u' }).concurrency).toBe(4)
    expect(resolveSettings({ endpoint: '/u', concurrency: 1 }).concurrency).toBe(1)
    for (const concurrency of [0, -2, 2.5, Number.NaN, Infinity]) {
      expect(() => checkUploadOptions({ endpoint: '/u', concurrency })).toThrow(/`concurrency` must be a positive integer/)
    }
  })
})

/**
 * `npm run bench` at smoke size (4 MiB, one run, every configuration, Node and Chromium, resume
 * waste with two cuts, bundle sizes), so the bench never rots. It checks that the bench ran and
 * that every upload arrived intact (stored SHA-256 equal to the source's); never speed.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { throughputMatrix } from '../../bench/configs'
import type { BenchResults } from '../../bench/results'
import { tempDir } from '../support/files'

const ROOT = resolve(import.meta.dirname, '../..')
let work: { dir: string; remove: () => Promise<void> }

beforeAll(async () => {
  work = await tempDir('bench-smoke-')
})
afterAll(async () => {
  await work.remove()
})

/** Runs `bench/run.ts` with `args`; resolves with its exit code and output. */
function runBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

it('npm run bench --smoke: every configuration uploads intact, results.json and the tables are written', async () => {
  const out = join(work.dir, 'results.json')
  const { code, stdout, stderr } = await runBench(['--smoke', '--out', out])
  expect(code, stderr).toBe(0)
  const results = JSON.parse(await readFile(out, 'utf8')) as BenchResults
  const configs = throughputMatrix(!results.skipped.some((reason) => reason.includes("'tus'"))).map((config) => config.id)
  for (const environment of ['node', 'chromium'] as const) {
    const rows = results.throughput.filter((row) => row.environment === environment)
    expect(rows.map((row) => row.config.id)).toEqual(configs)
    for (const row of rows) {
      expect(
        row.runs.map((run) => [run.verified, run.error]),
        `${environment} ${row.config.label}`,
      ).toEqual([[true, undefined]])
      expect(row.mibPerSecond).toBeGreaterThan(0)
      expect(row.ratioToCeiling).toBeGreaterThan(0)
    }
  }
  expect(results.waste.length).toBeGreaterThanOrEqual(6)
  for (const waste of results.waste) {
    expect({ config: waste.config.id, verified: waste.verified, cuts: waste.cuts }).toEqual({
      config: waste.config.id,
      verified: true,
      cuts: waste.plannedCuts.length,
    })
    expect(waste.waste).toBeGreaterThanOrEqual(1)
    expect(waste.resumeDelaysMs).toHaveLength(waste.cuts)
  }
  // ours before the first byte, by the end of a default upload, every chunk; script tag alone, with its siblings; tus-js-client
  expect(results.size.map((size) => size.gzipBytes > 0 && size.gzipBytes < size.minBytes)).toEqual([true, true, true, true, true, true])
  expect(results.memory.length).toBe(results.throughput.length)
  expect(stdout).toContain('Throughput')
  expect(stdout).toContain('Resume waste')
}, 420_000)

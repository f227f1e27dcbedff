/**
 * Throughput in Node: each configuration uploads a file from disk in its own client process,
 * which reports wall time, its CPU seconds and its peak RSS; the driver checks the stored bytes.
 * @module
 */
import type { UploadConfig } from './configs'
import { runNodeJob } from './child'
import type { DataFile, DataFiles } from './data'
import { MiB } from './data'
import { logRun, type Log } from './log'
import { summarize, type RunResult, type ThroughputRow } from './results'
import type { BenchServers } from './servers'

/** What the Node matrix runs. */
export interface NodeMatrix {
  /** The built client (see `buildNodeClient`). */
  client: string
  configs: UploadConfig[]
  sizesMiB: number[]
  /** Runs for a size. */
  runsFor(sizeMiB: number): number
  files: DataFiles
  log: Log
  /** Write a V8 CPU profile of every client process into this directory. */
  cpuProfileDir?: string
}

/** A generous limit for one upload of `size` bytes. */
export function jobTimeoutMs(size: number): number {
  return 120_000 + (size / MiB) * 500
}

/** Uploads `file` once with `config` in a client process and checks what the server stored. */
export async function runNodeUpload(
  servers: BenchServers,
  client: string,
  config: UploadConfig,
  file: DataFile,
  run: number,
  cpuProfileDir?: string,
): Promise<RunResult> {
  const endpoint = servers.endpoint(config.protocol)
  const profile = cpuProfileDir === undefined ? undefined : { dir: cpuProfileDir, name: `${config.id}-${file.size / MiB}m-run${run}` }
  const result = await runNodeJob(client, { config, endpoint, file: file.path, size: file.size }, jobTimeoutMs(file.size), profile)
  const failed = { run, ms: 0, bytes: file.size, cpuSeconds: undefined, peakMemoryBytes: undefined, baselineMemoryBytes: undefined, verified: false }
  if (!result.ok) return { ...failed, error: result.error }
  const problem = await servers.verifyAndRemove(config.protocol, result.url, file.size, file.sha256)
  return {
    run,
    ms: result.ms,
    bytes: file.size,
    cpuSeconds: result.cpuSeconds,
    peakMemoryBytes: result.maxRssBytes,
    baselineMemoryBytes: result.baselineRssBytes,
    verified: problem === undefined,
    ...(problem === undefined ? {} : { error: problem }),
  }
}

/** Runs the matrix: per size, `runs` rounds of every configuration (the ceiling first in each round). */
export async function runNodeThroughput(servers: BenchServers, matrix: NodeMatrix): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = []
  for (const sizeMiB of matrix.sizesMiB) {
    const file = await matrix.files.get(sizeMiB * MiB)
    const runs = new Map<string, RunResult[]>(matrix.configs.map((config) => [config.id, []]))
    for (let run = 1; run <= matrix.runsFor(sizeMiB); run++) {
      for (const config of matrix.configs) {
        const result = await runNodeUpload(servers, matrix.client, config, file, run, matrix.cpuProfileDir)
        runs.get(config.id)?.push(result)
        logRun(matrix.log, 'node', config, sizeMiB, result)
      }
    }
    const ceiling = runs.get(matrix.configs[0]?.id ?? '') ?? []
    for (const config of matrix.configs) rows.push(summarize('node', config, sizeMiB, runs.get(config.id) ?? [], ceiling))
  }
  return rows
}

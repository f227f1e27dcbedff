/**
 * The shape of `bench/results.json`, and the summaries computed from measured runs.
 * @module
 */
import type { BenchOptions } from './options'
import type { UploadConfig } from './configs'
import { GiB, MiB } from './data'
import { median } from './stats'

/** Where a row ran. */
export type Environment = 'chromium' | 'node'

/** One upload of one configuration. */
export interface RunResult {
  /** Run number, from 1. Ratios compare runs with the same number. */
  run: number
  /** Wall time of the upload in ms (from start to the final response). */
  ms: number
  /** Bytes uploaded (the file size). */
  bytes: number
  /** Client CPU seconds during the upload (Node: the client process; Chromium: all browser processes). */
  cpuSeconds: number | undefined
  /** Peak memory (Node: peak RSS, VmHWM, of the client process; Chromium: largest JS heap used, sampled over CDP). */
  peakMemoryBytes: number | undefined
  /** Before the upload: Node, RSS of the client process; Chromium, JS heap used after a GC. */
  baselineMemoryBytes: number | undefined
  /** True when the server's stored SHA-256 equals the source's. */
  verified: boolean
  /** Why the run failed (it is then not counted). */
  error?: string
}

/** One table row: a configuration, an environment and a size, with its runs. */
export interface ThroughputRow {
  environment: Environment
  config: UploadConfig
  /** File size in MiB. */
  sizeMiB: number
  /** Every run, failed ones included. */
  runs: RunResult[]
  /** Median MiB/s over verified runs. */
  mibPerSecond: number | undefined
  /** Median, over runs, of this run's MiB/s divided by the ceiling's MiB/s in the same run. */
  ratioToCeiling: number | undefined
  /** Median client CPU seconds per GiB uploaded. */
  cpuSecondsPerGiB: number | undefined
  /** Largest peak memory over the runs. */
  peakMemoryBytes: number | undefined
  /** What `peakMemoryBytes` measures. */
  memoryKind: 'rss' | 'js-heap'
  /** `ok` when every run verified, `failed` when one did not. */
  status: 'ok' | 'failed'
}

/** MiB/s of a run. */
export function mibPerSecond(run: RunResult): number {
  return run.bytes / MiB / (run.ms / 1000)
}

/** Builds a row from its runs; `ceiling` holds the ceiling's runs of the same environment and size. */
export function summarize(environment: Environment, config: UploadConfig, sizeMiB: number, runs: RunResult[], ceiling: RunResult[]): ThroughputRow {
  const good = runs.filter((run) => run.verified)
  const ratios = good.flatMap((run) => {
    const base = ceiling.find((c) => c.run === run.run && c.verified)
    return base ? [mibPerSecond(run) / mibPerSecond(base)] : []
  })
  const cpu = good.flatMap((run) => (run.cpuSeconds === undefined ? [] : [run.cpuSeconds / (run.bytes / GiB)]))
  const memory = good.flatMap((run) => (run.peakMemoryBytes === undefined ? [] : [run.peakMemoryBytes]))
  return {
    environment,
    config,
    sizeMiB,
    runs,
    mibPerSecond: median(good.map(mibPerSecond)),
    ratioToCeiling: median(ratios),
    cpuSecondsPerGiB: median(cpu),
    peakMemoryBytes: memory.length > 0 ? Math.max(...memory) : undefined,
    memoryKind: environment === 'node' ? 'rss' : 'js-heap',
    status: runs.length > 0 && good.length === runs.length ? 'ok' : 'failed',
  }
}

/** One resume-waste measurement: a Node upload with forced disconnects. */
export interface WasteResult {
  config: UploadConfig
  /** File size in bytes. */
  size: number
  /** Where the connection was to be cut (byte positions of the file). */
  plannedCuts: number[]
  /** Cuts that happened. */
  cuts: number
  /** Body bytes that reached the server side (server for ietf, proxy for tus), all requests. */
  bytesSent: number
  /** bytesSent / size. */
  waste: number
  /** Per cut: ms from the disconnect to the first body byte of the next request carrying data. */
  resumeDelaysMs: number[]
  /** Wall time of the whole upload. */
  ms: number
  /** Stored SHA-256 equals the source's. */
  verified: boolean
  error?: string
}

/** Size of one bundle. */
export interface SizeResult {
  /** What was measured. */
  name: string
  /** Minified bytes. */
  minBytes: number
  /** gzip -9 of the minified bytes. */
  gzipBytes: number
  /** How it was built. */
  note: string
}

/** How a configuration's peak memory changes with the file size. */
export interface MemoryGrowth {
  environment: Environment
  configId: string
  label: string
  memoryKind: 'rss' | 'js-heap'
  /** Peak bytes by size in MiB. */
  peakBySizeMiB: Record<string, number>
  /**
   * (peak at the largest size − peak at the smallest) / (largest − smallest file size): 0 = flat,
   * 1 = the process grows by every byte added to the file.
   */
  growth: number | undefined
}

/** The machine the bench ran on. */
export interface MachineInfo {
  cpuModel: string
  cpus: number
  memoryBytes: number
  platform: string
  node: string
  chromium: string | undefined
  /** 1-minute load average when the bench started and when it ended (others' work shows here). */
  loadAverage: { start: number; end: number | undefined }
}

/** Everything `bench/results.json` holds. */
export interface BenchResults {
  startedAt: string
  durationSeconds: number
  options: Pick<BenchOptions, 'smoke' | 'runs' | 'runsForLargest' | 'sizesMiB' | 'wasteSizeMiB' | 'cuts'> & {
    /** Where the servers stored uploads (tmpfs when possible). */
    storage: string
  }
  machine: MachineInfo
  throughput: ThroughputRow[]
  waste: WasteResult[]
  memory: MemoryGrowth[]
  size: SizeResult[]
  /** Configurations left out, and why. */
  skipped: string[]
}

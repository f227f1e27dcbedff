/**
 * The vocabulary of the S3 bench section (s3.ts): its configurations, runs, rows and sizes.
 * @module
 */
import type { SizeResult } from './results'

/** Who sends the bytes. */
export type S3Client = 'raw' | 'ours' | 'lib-storage' | 'uppy'

/** Where a row runs. */
export type S3Environment = 'node' | 'chromium'

/** One configuration: a table row per environment and size. */
export interface S3Config {
  /** Stable id in results.json, e.g. `ours-c4`. */
  id: string
  /** Row label. */
  label: string
  client: S3Client
  /** Parts in flight (ours; lib-storage's queueSize); undefined for the rest. */
  concurrency: number | undefined
  /** True: the client's own default part size (and, for ours, parts in flight) instead of the section's part size. */
  defaults?: boolean
}

/** One upload. */
export interface S3Run {
  /** Round number, from 1: ratios compare runs of the same round. */
  run: number
  /** Wall time in ms, from the start of the upload to the final answer. */
  ms: number
  bytes: number
  /** True when GetObject's SHA-256 and length equal the source's. */
  verified: boolean
  /** Why the run failed. */
  error?: string
}

/** One table row. */
export interface S3Row {
  environment: S3Environment
  config: S3Config
  sizeMiB: number
  runs: S3Run[]
  /** Median MiB/s of the verified runs. */
  mibPerSecond: number | undefined
  /** Median over rounds of this run's MiB/s / the ceiling's in the same round. */
  ratioToCeiling: number | undefined
  /** The same against the environment's rival (lib-storage in Node, Uppy in Chromium) (with defaults when the row has them). */
  ratioToRival: number | undefined
  /** Label of the rival. */
  rival: string
}

/** What the S3 section writes into results.json (`s3`). */
export interface S3Section {
  /** The part size of ours, lib-storage and Uppy, MiB. */
  partSizeMiB: number
  sizesMiB: number[]
  rows: S3Row[]
  /** min and min+gzip -9 bytes: what `import { s3 }` adds, and the alternatives. */
  size: SizeResult[]
  /** What was left out, and why. */
  skipped: string[]
  /** The Chromium that ran the browser rows. */
  chromium?: string
}

/** Progress lines on stderr while the bench runs (stdout gets the tables). @module */
import type { UploadConfig } from './configs'
import { mibPerSecond, type RunResult } from './results'

/** Where progress goes. */
export type Log = (line: string) => void

/** The default log: stderr. */
export const stderrLog: Log = (line) => process.stderr.write(`${line}\n`)

/** Logs one run. */
export function logRun(log: Log, environment: string, config: UploadConfig, sizeMiB: number, run: RunResult): void {
  const outcome = run.verified ? `${mibPerSecond(run).toFixed(1)} MiB/s, sha256 ok` : `FAILED: ${run.error ?? 'not verified'}`
  log(`[${environment}] ${config.label}, ${sizeMiB} MiB, run ${run.run}: ${outcome}`)
}

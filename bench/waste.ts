/**
 * Resume waste: a Node upload with forced disconnects at the same random file positions for every
 * configuration. Ours on IETF is cut by the reference server's fault injection; the tus rows (ours
 * with protocol 'tus', tus-js-client) go through a wire tap in front of `@tus/server` that cuts
 * the connection. Both record, per request, the body bytes and when they arrived; from that come
 * the bytes sent in total divided by the file size, and the time from each disconnect to the first
 * new body byte. Every client keeps its default retry policy.
 * @module
 */
import type { UploadConfig } from './configs'
import { CutPlan, wasteFigures, type BodyRequest } from './body-requests'
import { runNodeJob } from './child'
import type { DataFile, DataFiles } from './data'
import { cutPoints } from './data'
import type { Log } from './log'
import { jobTimeoutMs } from './node'
import { recordReference } from './reference-recorder'
import type { WasteResult } from './results'
import type { BenchServers } from './servers'
import { startWireTap } from './wire-tap'

/** What the waste section runs. */
export interface WastePlan {
  /** The built client (see `buildNodeClient`). */
  client: string
  configs: UploadConfig[]
  size: number
  cuts: number
  seed: number
  files: DataFiles
  log: Log
}

/** Where a configuration is cut and observed. */
interface Observation {
  endpoint: string
  requests: BodyRequest[]
  stop(): Promise<void>
}

async function observe(servers: BenchServers, config: UploadConfig, plan: CutPlan): Promise<Observation> {
  if (config.protocol === 'tus') {
    const tap = await startWireTap(servers.tus.url, plan)
    return { endpoint: servers.endpoint('tus', tap.url), requests: tap.requests, stop: () => tap.close() }
  }
  const recorder = recordReference(servers.reference, plan)
  return { endpoint: servers.endpoint('ietf'), requests: recorder.requests, stop: async () => recorder.stop() }
}

/** One upload of `file` with `config`, cut at `points`. */
export async function measureWaste(servers: BenchServers, client: string, config: UploadConfig, file: DataFile, points: number[]): Promise<WasteResult> {
  const plan = new CutPlan(points)
  const observation = await observe(servers, config, plan)
  const started = performance.now()
  const result = await runNodeJob(client, { config, endpoint: observation.endpoint, file: file.path, size: file.size }, jobTimeoutMs(file.size) + 120_000)
  const ms = performance.now() - started
  await observation.stop()
  const figures = wasteFigures(observation.requests)
  const base = {
    config,
    size: file.size,
    plannedCuts: points,
    cuts: figures.cuts,
    bytesSent: figures.bytesSent,
    waste: figures.bytesSent / file.size,
    resumeDelaysMs: figures.resumeDelaysMs,
    ms,
  }
  if (!result.ok) return { ...base, verified: false, error: result.error }
  const problem = await servers.verifyAndRemove(config.protocol, result.url, file.size, file.sha256)
  return { ...base, verified: problem === undefined, ...(problem === undefined ? {} : { error: problem }) }
}

/** Runs every configuration once with the same cut positions. */
export async function runWaste(servers: BenchServers, plan: WastePlan): Promise<WasteResult[]> {
  const file = await plan.files.get(plan.size)
  const points = cutPoints(plan.size, plan.cuts, plan.seed)
  const results: WasteResult[] = []
  for (const config of plan.configs) {
    const result = await measureWaste(servers, plan.client, config, file, points)
    results.push(result)
    const delays = result.resumeDelaysMs.map((ms) => ms.toFixed(0)).join(', ')
    const outcome = result.verified ? 'sha256 ok' : `FAILED: ${result.error ?? 'not verified'}`
    plan.log(
      `[waste] ${config.label}: ${result.cuts}/${points.length} cuts, sent ${result.waste.toFixed(3)}× the file, resume delays [${delays}] ms, ${outcome}`,
    )
  }
  return results
}

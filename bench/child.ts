/**
 * Runs one Node client job in a child process: `node <built node-client.mjs> '<job>'` (see
 * `buildNodeClient` in bundles.ts).
 * @module
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { parseResult, type NodeJob, type NodeJobResult } from './node-job'

/** Where V8 CPU profiles of a client process go: `<dir>/<name>/CPU.*.cpuprofile`, one per thread. */
export interface CpuProfile {
  dir: string
  name: string
}

/**
 * Spawns the client for `job` and resolves with its result line; a crash, a missing line or
 * `timeoutMs` without one is a failure (the child is then killed). With `profile`, the client
 * runs with `--cpu-prof`; the main thread's profile is the file whose name has thread id 0
 * (`CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile`).
 */
export function runNodeJob(client: string, job: NodeJob, timeoutMs: number, profile?: CpuProfile): Promise<NodeJobResult> {
  const profiling = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(profile.dir, profile.name)}`] : []
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...profiling, client, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'] })
    let output = ''
    let settled = false
    const finish = (result: NodeJobResult): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(result)
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      finish({ ok: false, error: `no result within ${timeoutMs} ms` })
    }, timeoutMs)
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (text: string) => (output += text))
    child.once('error', (error) => finish({ ok: false, error: `could not start the client: ${error.message}` }))
    child.once('close', (code) => {
      const result = output
        .split('\n')
        .map(parseResult)
        .find((line) => line !== undefined)
      finish(result ?? { ok: false, error: `the client exited with ${code ?? 'a signal'} and no result` })
    })
  })
}

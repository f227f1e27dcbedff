/** The machine the bench runs on. @module */
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import type { MachineInfo } from './results'

/** CPU model, CPU count, memory, OS, Node, load; the Chromium version and final load are filled in later. */
export function machineInfo(): MachineInfo {
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
    platform: `${platform()} ${release()}`,
    node: process.version,
    chromium: undefined,
    loadAverage: { start: loadavg()[0] ?? 0, end: undefined },
  }
}

/** The 1-minute load average now. */
export function loadNow(): number {
  return loadavg()[0] ?? 0
}

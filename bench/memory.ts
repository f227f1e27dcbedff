/**
 * Memory: whether a configuration's peak memory grows with the file size, from the throughput rows
 * (Node: peak RSS of the client process; Chromium: peak JS heap used, sampled over CDP).
 * @module
 */
import { MiB } from './data'
import type { MemoryGrowth, ThroughputRow } from './results'

/**
 * A configuration whose peak grows by more than this share of the added file size (largest size
 * minus smallest) counts as growing with the file. Holding the file would show ~100%; the noise
 * of a process's peak RSS between runs is a few MiB.
 */
export const GROWTH_THRESHOLD = 0.05

/** Peaks by size per environment and configuration, and their growth. */
export function memoryGrowth(rows: readonly ThroughputRow[]): MemoryGrowth[] {
  const groups = new Map<string, ThroughputRow[]>()
  for (const row of rows) {
    const key = `${row.environment}/${row.config.id}`
    groups.set(key, [...(groups.get(key) ?? []), row])
  }
  return [...groups.values()].map((group) => {
    const row = group[0] as ThroughputRow
    const measured = group.filter((row) => row.peakMemoryBytes !== undefined).sort((a, b) => a.sizeMiB - b.sizeMiB)
    const first = measured[0]
    const last = measured.at(-1)
    const added = first && last ? (last.sizeMiB - first.sizeMiB) * MiB : 0
    return {
      environment: row.environment,
      configId: row.config.id,
      label: row.config.label,
      memoryKind: row.memoryKind,
      peakBySizeMiB: Object.fromEntries(measured.map((row) => [String(row.sizeMiB), row.peakMemoryBytes as number])),
      growth: first && last && added > 0 ? ((last.peakMemoryBytes as number) - (first.peakMemoryBytes as number)) / added : undefined,
    }
  })
}

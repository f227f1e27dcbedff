/** Small statistics helpers. @module */

/** The median of `values`; undefined for none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  const upper = sorted[middle] as number
  return sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] as number) + upper) / 2
}

/**
 * The configurations of round `run` (1-based), each round starting one later: a server speeds up
 * as it warms, so a fixed order would favour whichever configuration always ran last.
 */
export function rotated<T>(configs: readonly T[], run: number): T[] {
  return configs.map((_, index) => configs[(index + run - 1) % configs.length]!)
}

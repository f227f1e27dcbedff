/**
 * The tables printed on stdout.
 * @module
 */
import { GROWTH_THRESHOLD } from './memory'
import type { BenchResults, MemoryGrowth, SizeResult, ThroughputRow, WasteResult } from './results'
import { median } from './stats'

/** Lays out rows under a header, numbers right-aligned. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)))
  const numeric = header.map((_, column) => rows.every((row) => /^[-\d.,×%~ ]*$|^[-–]$|^[\d.]+ (MiB|KiB|B)$/.test(row[column] ?? '')))
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (numeric[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd()
  const rule = widths.map((width) => '-'.repeat(width)).join('  ')
  return [line(header), rule, ...rows.map(line)].join('\n')
}

const dash = '–'

function fixed(value: number | undefined, digits: number): string {
  return value === undefined ? dash : value.toFixed(digits)
}

/** Bytes as MiB (or KiB below 1 MiB). */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return dash
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`
}

function throughputTable(rows: readonly ThroughputRow[]): string {
  const header = ['env', 'size', 'configuration', 'MiB/s', '× ceiling', 'CPU s/GiB', 'peak memory', 'runs', 'check']
  const body = rows.map((row) => [
    row.environment,
    `${row.sizeMiB} MiB`,
    row.config.label,
    fixed(row.mibPerSecond, 1),
    fixed(row.ratioToCeiling, 2),
    fixed(row.cpuSecondsPerGiB, 2),
    `${formatBytes(row.peakMemoryBytes)} ${row.memoryKind === 'rss' ? 'RSS' : 'heap'}`,
    String(row.runs.length),
    row.status === 'ok' ? 'sha256 ok' : `FAILED (${row.runs.find((run) => !run.verified)?.error ?? '?'})`,
  ])
  return formatTable(header, body)
}

function wasteTable(results: readonly WasteResult[]): string {
  const header = ['configuration', 'cuts', 'sent / size', 'resume ms (median)', 'resume ms (max)', 'resume ms (each)', 'total s', 'check']
  const body = results.map((result) => [
    result.config.label,
    `${result.cuts}/${result.plannedCuts.length}`,
    result.waste.toFixed(3),
    fixed(median(result.resumeDelaysMs), 0),
    result.resumeDelaysMs.length > 0 ? Math.max(...result.resumeDelaysMs).toFixed(0) : dash,
    result.resumeDelaysMs.map((ms) => ms.toFixed(0)).join(' '),
    (result.ms / 1000).toFixed(1),
    result.verified ? 'sha256 ok' : `FAILED (${result.error ?? '?'})`,
  ])
  return formatTable(header, body)
}

function memoryTable(growth: readonly MemoryGrowth[]): string {
  const sizes = [...new Set(growth.flatMap((entry) => Object.keys(entry.peakBySizeMiB)))].sort((a, b) => Number(a) - Number(b))
  const header = ['env', 'configuration', 'measures', ...sizes.map((size) => `peak @ ${size} MiB`), 'Δ peak / Δ file size', 'verdict']
  const body = growth.map((entry) => [
    entry.environment,
    entry.label,
    entry.memoryKind === 'rss' ? 'max RSS' : 'JS heap',
    ...sizes.map((size) => formatBytes(entry.peakBySizeMiB[size])),
    entry.growth === undefined ? dash : `${(entry.growth * 100).toFixed(1)} %`,
    entry.growth === undefined ? dash : entry.growth > GROWTH_THRESHOLD ? 'GROWS with the file' : `flat (< ${GROWTH_THRESHOLD * 100} %)`,
  ])
  return formatTable(header, body)
}

function sizeTable(results: readonly SizeResult[]): string {
  const header = ['bundle', 'min bytes', 'min+gzip -9 bytes', 'how']
  return formatTable(
    header,
    results.map((result) => [result.name, String(result.minBytes), String(result.gzipBytes), result.note]),
  )
}

/** Every table, with headings, for stdout. */
export function renderResults(results: BenchResults): string {
  const { machine, options } = results
  const sections = [
    `resumable-upload bench — ${machine.cpuModel}, ${machine.cpus} CPUs, ${formatBytes(machine.memoryBytes)} RAM, ${machine.platform}, Node ${machine.node}, Chromium ${machine.chromium ?? 'not run'}`,
    `load average (1 min) at start ${machine.loadAverage.start.toFixed(2)}, at end ${machine.loadAverage.end?.toFixed(2) ?? '?'}`,
    `runs: ${options.runs} (largest size: ${options.runsForLargest}); sizes: ${options.sizesMiB.join(', ')} MiB; ${options.smoke ? 'SMOKE run (sizes too small to mean anything)' : 'full run'}; uploads stored in ${options.storage}; ${results.durationSeconds.toFixed(0)} s`,
  ]
  const busiest = Math.max(machine.loadAverage.start, machine.loadAverage.end ?? 0)
  if (busiest > machine.cpus) {
    sections.push(
      `WARNING: the machine was busy (load average ${busiest.toFixed(1)} on ${machine.cpus} CPUs): every row competes with other work for the CPUs, so MiB/s (the ceiling too) and ratios are noise; rerun on a quiet machine`,
    )
  }
  if (results.throughput.length > 0)
    sections.push(
      'Throughput (median of runs; × ceiling = median of per-run ratios to the raw single request of the same run)',
      throughputTable(results.throughput),
    )
  if (results.waste.length > 0)
    sections.push(
      `Resume waste (Node, ${formatBytes(results.waste[0]?.size)}, ${options.cuts} forced disconnects at the same random positions, default retry policies)`,
      wasteTable(results.waste),
    )
  if (results.memory.length > 0) sections.push('Memory vs file size', memoryTable(results.memory))
  if (results.size.length > 0) sections.push('Size', sizeTable(results.size))
  if (results.skipped.length > 0) sections.push(`Skipped: ${results.skipped.join('; ')}`)
  return sections.join('\n\n') + '\n'
}

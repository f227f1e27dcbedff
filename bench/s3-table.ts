/**
 * The S3 section's tables: throughput rows (MiB/s, × ceiling, × lib-storage in Node / × Uppy in
 * Chromium, the SHA-256 check) and the size rows.
 * @module
 */
import { renderS3Sizes } from './s3-size'
import type { S3Row, S3Section } from './s3-types'

function ratio(value: number | undefined): string {
  return value === undefined ? '–' : `${value.toFixed(2)}×`
}

function check(row: S3Row): string {
  const failed = row.runs.filter((run) => !run.verified)
  if (row.runs.length === 0) return 'FAILED (no run)'
  return failed.length === 0 ? 'sha256 ok' : `FAILED (${failed.map((run) => run.error ?? 'not verified').join('; ')})`
}

/** The S3 section as text: a throughput table, then the sizes. */
export function renderS3Section(section: S3Section): string {
  const lines = [
    `\n## S3 multipart (s3rver behind the test gate, ${section.partSizeMiB} MiB parts)\n`,
    '| env | MiB | configuration | MiB/s | × ceiling | × rival | rival | check |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const row of section.rows) {
    const speed = row.mibPerSecond === undefined ? '–' : row.mibPerSecond.toFixed(1)
    lines.push(
      `| ${row.environment} | ${row.sizeMiB} | ${row.config.label} | ${speed} | ${ratio(row.ratioToCeiling)} | ${ratio(row.ratioToRival)} | ${row.rival} | ${check(row)} |`,
    )
  }
  const out = [lines.join('\n') + '\n']
  if (section.size.length > 0) out.push(`\n${renderS3Sizes(section.size)}`)
  if (section.skipped.length > 0) out.push(`\nS3 left out: ${section.skipped.join('; ')}\n`)
  return out.join('')
}

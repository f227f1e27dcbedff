/** Checks, on the server's side, that requests speak one IETF interop version the way it is spelled. */
import type { RequestEvent } from '../server/types'

/**
 * What is wrong with the requests of one upload at `version` (empty when nothing): every request
 * (CORS preflights aside) must carry `Upload-Draft-Interop-Version: version`; every creation and
 * append the version's completion field (`Upload-Incomplete` at 3, `Upload-Complete` after) and
 * never the other one; and when the creation stated `Upload-Length`, no PATCH may repeat it
 * (tusd answers 400). Also wrong: fewer than two creations and appends (nothing was resumed).
 */
export function interopViolations(requests: RequestEvent[], version: number): string[] {
  const spoken = requests.filter((request) => request.kind !== 'options' && request.kind !== 'control')
  const bodies = spoken.filter((request) => request.kind === 'create' || request.kind === 'append')
  const [present, absent] = version === 3 ? ['upload-incomplete', 'upload-complete'] : ['upload-complete', 'upload-incomplete']
  const creation = bodies.find((request) => request.kind === 'create')
  const lengthStated = creation?.headers['upload-length'] !== undefined
  const violations = bodies.length > 1 ? [] : [`only ${bodies.length} creation/append requests`]
  for (const { kind, method, headers } of spoken) {
    const name = `${method} (${kind}) at ${String(headers['upload-offset'] ?? '-')}`
    if (headers['upload-draft-interop-version'] !== String(version))
      violations.push(`${name}: interop version ${String(headers['upload-draft-interop-version'])}`)
    if (kind !== 'create' && kind !== 'append') continue
    if (!/^\?[01]$/.test(String(headers[present]))) violations.push(`${name}: no ${present}`)
    if (headers[absent] !== undefined) violations.push(`${name}: carries ${absent}`)
    if (kind === 'append' && lengthStated && headers['upload-length'] !== undefined) violations.push(`${name}: repeats Upload-Length`)
  }
  return violations
}

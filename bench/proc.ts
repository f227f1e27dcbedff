/**
 * CPU time of this process's descendants from `/proc` (Linux): the browser's processes, whose CPU
 * is the client's in the Chromium rows.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of `/proc/<pid>/stat` times. */
const TICKS_PER_SECOND = readTicks()

function readTicks(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100
  } catch {
    return 100
  }
}

interface ProcStat {
  pid: number
  ppid: number
  /** utime + stime in ticks. */
  ticks: number
}

/** Parses `/proc/<pid>/stat` (the command name may hold spaces and parentheses). */
function readStat(pid: string): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    // After the name: state(0) ppid(1) … utime(11) stime(12).
    return { pid: Number(pid), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** Whether `/proc` can be read here. */
export function canReadProc(): boolean {
  return readStat(String(process.pid)) !== undefined
}

/** CPU seconds (user + system) used so far by every living descendant of `root`. */
export function descendantCpuSeconds(root = process.pid): number {
  const stats = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(readStat)
    .filter((stat) => stat !== undefined)
  const children = new Map<number, ProcStat[]>()
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat])
  let ticks = 0
  const pending = [...(children.get(root) ?? [])]
  for (let stat = pending.pop(); stat !== undefined; stat = pending.pop()) {
    ticks += stat.ticks
    pending.push(...(children.get(stat.pid) ?? []))
  }
  return ticks / TICKS_PER_SECOND
}

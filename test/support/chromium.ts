/**
 * Which Chromium the browser tests and the bench use, found the same way everywhere:
 * 1. `CHROMIUM_PATH`, when set (it must exist: a wrong setting is an error, not a fallback);
 * 2. Debian's `/usr/bin/chromium` (`RESUMABLE_UPLOAD_SYSTEM_CHROMIUM` names another path, for tests);
 * 3. Playwright's own Chromium, when `npx playwright install chromium` has put it on disk.
 * With none: as root with `apt-get` on the PATH, install Debian's package; else fail with one line.
 *
 * Run as a script (`tsx test/support/chromium.ts`, the first step of `npm test`), it prints the path
 * it uses, installs when it may, or exits 1 at once with the instruction. `--dry-run` prints what
 * it would install instead of installing. `playwright.config.ts` and `bench/chromium.ts` call
 * {@link findChromium}, which never installs.
 * @module
 */
import { spawnSync } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join, resolve } from 'node:path'
import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import type * as PlaywrightCore from 'playwright-core'

/** The one line printed when no Chromium can be found or installed. */
export const NO_CHROMIUM =
  "no Chromium found: install Debian's chromium (apt-get install chromium) or run `npx playwright install chromium`, or set CHROMIUM_PATH"

/** Debian's Chromium. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium'

/** The commands that install Debian's Chromium (run in order, as root). */
export const APT_INSTALL: readonly (readonly string[])[] = [
  ['apt-get', 'update'],
  ['apt-get', 'install', '-y', 'chromium'],
]

/** Where a Chromium was found. */
export type ChromiumSource = 'CHROMIUM_PATH' | 'system' | 'playwright'

/** What to do: use a browser, install Debian's, or give up with a one-line message. */
export type ChromiumPlan =
  | { kind: 'found'; path: string; source: ChromiumSource }
  | { kind: 'install'; path: string; commands: readonly (readonly string[])[] }
  | { kind: 'missing'; message: string }

/** What the plan looks at; {@link systemProbe} reads the real machine. */
export interface ChromiumProbe {
  env: Readonly<Record<string, string | undefined>>
  isRoot: boolean
  /** Whether `path` is an executable file. */
  isExecutable(path: string): boolean
  /** Where Playwright's own Chromium would be (whether or not it is installed). */
  playwrightPath(): string | undefined
}

/** Whether `path` is a file this process may execute. */
export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
}

/** The real machine: this process's environment, user, files, and Playwright's browser path. */
export function systemProbe(env: Readonly<Record<string, string | undefined>> = process.env): ChromiumProbe {
  return {
    env,
    isRoot: process.getuid?.() === 0,
    isExecutable,
    playwrightPath() {
      try {
        // Loaded only when needed: playwright-core takes seconds to load on a busy machine.
        const { chromium } = createRequire(import.meta.url)('playwright-core') as typeof PlaywrightCore
        return chromium.executablePath()
      } catch {
        return undefined
      }
    },
  }
}

/** Whether `command` is an executable in one of the PATH's directories. */
function onPath(command: string, probe: ChromiumProbe): boolean {
  return (probe.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && probe.isExecutable(join(dir, command)))
}

/**
 * Decides which Chromium to use, in the order of the module comment. Reads only the probe.
 * @param probe the machine (default: this one)
 */
export function planChromium(probe: ChromiumProbe = systemProbe()): ChromiumPlan {
  const configured = probe.env.CHROMIUM_PATH
  if (configured !== undefined && configured !== '') {
    if (probe.isExecutable(configured)) return { kind: 'found', path: configured, source: 'CHROMIUM_PATH' }
    return { kind: 'missing', message: `CHROMIUM_PATH is set to ${configured}, which is not an executable file` }
  }
  const system = probe.env.RESUMABLE_UPLOAD_SYSTEM_CHROMIUM || DEBIAN_CHROMIUM
  if (probe.isExecutable(system)) return { kind: 'found', path: system, source: 'system' }
  const playwright = probe.playwrightPath()
  if (playwright !== undefined && probe.isExecutable(playwright)) return { kind: 'found', path: playwright, source: 'playwright' }
  if (probe.isRoot && onPath('apt-get', probe)) return { kind: 'install', path: system, commands: APT_INSTALL }
  return { kind: 'missing', message: NO_CHROMIUM }
}

/**
 * The Chromium to launch, without installing anything (for Playwright's config and the bench).
 * @throws Error with the one-line instruction when there is none
 */
export function findChromium(): string {
  const plan = planChromium()
  if (plan.kind === 'found') return plan.path
  throw new Error(plan.kind === 'missing' ? plan.message : NO_CHROMIUM)
}

/** Runs the install commands, their output on stderr; whether all succeeded. */
function install(commands: readonly (readonly string[])[], env: NodeJS.ProcessEnv): boolean {
  for (const [command, ...args] of commands) {
    console.error(`chromium: ${[command, ...args].join(' ')}`)
    const result = spawnSync(command as string, args, { stdio: ['ignore', 2, 2], env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } })
    if (result.status !== 0) return false
  }
  return true
}

/**
 * The script: prints the Chromium it uses (installs Debian's when it may) and returns the exit code.
 * @param args `--dry-run` to print the install commands instead of running them
 */
export function main(args: readonly string[]): number {
  const dryRun = args.includes('--dry-run')
  const plan = planChromium()
  if (plan.kind === 'found') {
    console.log(`chromium: ${plan.path} (${plan.source})`)
    return 0
  }
  if (plan.kind === 'missing') {
    console.error(plan.message)
    return 1
  }
  if (dryRun) {
    console.log(`chromium: would run ${plan.commands.map((command) => command.join(' ')).join(' && ')}, then use ${plan.path}`)
    return 0
  }
  if (!install(plan.commands, process.env) || !isExecutable(plan.path)) {
    console.error(`apt-get install chromium failed; ${NO_CHROMIUM}`)
    return 1
  }
  console.log(`chromium: ${plan.path} (installed with apt-get)`)
  return 0
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2))
}

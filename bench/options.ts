/**
 * Command-line options of `bench/run.ts`.
 * @module
 */
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** The parts of the bench. */
export type Section = 'size' | 'node' | 'chromium' | 'waste' | 's3' | 'azure'

/** Parsed options. */
export interface BenchOptions {
  /** Tiny sizes, one run, every configuration: the `npm test` smoke run. */
  smoke: boolean
  /** Runs per configuration and size. */
  runs: number
  /** Runs at the largest size (when it is not the only size). */
  runsForLargest: number
  /** File sizes in MiB. */
  sizesMiB: number[]
  /** File size of the resume-waste runs in MiB. */
  wasteSizeMiB: number
  /** Forced disconnects per resume-waste run. */
  cuts: number
  /** Seed of the data and of the cut positions. */
  seed: number
  /** Where results.json goes. */
  out: string
  /** Which sections run. */
  sections: Section[]
  /** Where the servers store uploads and the data files live; default tmpfs (/dev/shm) when it has room. */
  storage: string | undefined
  /** File sizes of the S3 section in MiB: `--sizes` when given, else 128 and 256 (smoke: 11, three parts of 5 MiB). */
  s3SizesMiB: number[]
  /** File sizes of the Azure section in MiB: `--sizes` when given, else 128 (smoke: 12, three blocks of 4 MiB). */
  azureSizesMiB: number[]
  /** Part size of every multipart row of the S3 section, MiB (default 8; smoke 5, S3's smallest). */
  s3PartSizeMiB: number
  /** Write V8 CPU profiles of the Node client processes here (slows them: for finding causes, not for numbers). */
  cpuProfileDir: string | undefined
}

const USAGE = `usage: tsx bench/run.ts [--smoke] [--runs N] [--runs-largest N] [--sizes 128,256,1024] [--waste-size MiB] [--cuts N]
                        [--seed N] [--out results.json] [--only size,node,chromium,waste,s3,azure] [--cpu-prof DIR]
                        [--storage DIR] [--s3-part-size MiB]`

const SECTIONS: readonly Section[] = ['size', 'node', 'chromium', 'waste', 's3', 'azure']

function positiveInteger(name: string, value: string | undefined): number {
  const number = Number(value)
  if (!Number.isSafeInteger(number) || number < 1) throw new TypeError(`${name} needs a positive integer\n${USAGE}`)
  return number
}

function sizeList(value: string | undefined): number[] {
  const sizes = (value ?? '').split(',').map((size) => positiveInteger('--sizes', size.trim()))
  return [...new Set(sizes)].sort((a, b) => a - b)
}

function sectionList(value: string | undefined): Section[] {
  const names = (value ?? '').split(',').map((name) => name.trim())
  const unknown = names.filter((name) => !(SECTIONS as readonly string[]).includes(name))
  if (unknown.length > 0) throw new TypeError(`unknown section(s) ${unknown.join(', ')}\n${USAGE}`)
  return SECTIONS.filter((section) => names.includes(section))
}

/** Parses `argv` (without node and the script). Throws TypeError with the usage on bad input. */
export function parseOptions(argv: readonly string[], root: string): BenchOptions {
  const given = new Map<string, string | undefined>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === '--smoke') given.set('smoke', undefined)
    else if (/^--[a-z0-9-]+$/.test(arg) && arg !== '--help') given.set(arg.slice(2), argv[++i])
    else throw new TypeError(`${arg === '--help' ? '' : `unknown argument ${arg}\n`}${USAGE}`)
  }
  const smoke = given.has('smoke')
  const runs = given.has('runs') ? positiveInteger('--runs', given.get('runs')) : smoke ? 1 : 3
  const options: BenchOptions = {
    smoke,
    runs,
    runsForLargest: given.has('runs-largest') ? positiveInteger('--runs-largest', given.get('runs-largest')) : runs,
    sizesMiB: given.has('sizes') ? sizeList(given.get('sizes')) : smoke ? [4] : [128, 256, 1024],
    wasteSizeMiB: given.has('waste-size') ? positiveInteger('--waste-size', given.get('waste-size')) : smoke ? 4 : 256,
    cuts: given.has('cuts') ? positiveInteger('--cuts', given.get('cuts')) : smoke ? 2 : 5,
    seed: given.has('seed') ? positiveInteger('--seed', given.get('seed')) : 7,
    out: resolve(given.get('out') ?? (smoke ? join(tmpdir(), 'resumable-upload-bench-smoke.json') : join(root, 'bench', 'results.json'))),
    sections: given.has('only') ? sectionList(given.get('only')) : [...SECTIONS],
    storage: given.has('storage') ? resolve(given.get('storage') ?? '.') : undefined,
    s3SizesMiB: given.has('sizes') ? sizeList(given.get('sizes')) : smoke ? [11] : [128, 256],
    azureSizesMiB: given.has('sizes') ? sizeList(given.get('sizes')) : smoke ? [12] : [128],
    s3PartSizeMiB: given.has('s3-part-size') ? positiveInteger('--s3-part-size', given.get('s3-part-size')) : smoke ? 5 : 8,
    cpuProfileDir: given.has('cpu-prof') ? resolve(given.get('cpu-prof') ?? '.') : undefined,
  }
  for (const name of given.keys()) {
    if (!['smoke', 'runs', 'runs-largest', 'sizes', 'waste-size', 'cuts', 'seed', 'out', 'only', 'cpu-prof', 'storage', 's3-part-size'].includes(name))
      throw new TypeError(`unknown option --${name}\n${USAGE}`)
  }
  return options
}

/** Runs for a size: `runsForLargest` for the largest of several sizes, else `runs`. */
export function runsFor(options: BenchOptions, sizeMiB: number): number {
  const largest = Math.max(...options.sizesMiB)
  return options.sizesMiB.length > 1 && sizeMiB === largest ? options.runsForLargest : options.runs
}

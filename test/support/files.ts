/** Test data: random files and their SHA-256, made once per test run. */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Random bytes with their SHA-256 (hex). */
export interface TestData {
  bytes: Buffer
  sha256: string
}

/** `size` random bytes and their SHA-256. */
export function randomData(size: number): TestData {
  const bytes = randomBytes(size)
  return { bytes, sha256: sha256(bytes) }
}

/** SHA-256 (hex) of some bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** A temp directory, removed by the returned function. */
export async function tempDir(prefix = 'resumable-upload-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) }
}

/** Writes `data` to a new file in `dir` and returns its path. */
export async function writeTestFile(dir: string, name: string, data: TestData): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, data.bytes)
  return path
}

/** A random integer in [min, max). */
export function randomBetween(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min))
}

/** A web ReadableStream that yields `bytes` in pieces of `piece` bytes, with no known length. */
export function webStream(bytes: Uint8Array, piece: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + piece))
      at += piece
    },
  })
}

/** A small seeded PRNG (mulberry32) returning numbers in [0, 1): the same sequence for a seed, so a failure replays. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Test data for the bench: the same pseudo-random bytes on disk (Node rows) and in the page
 * (Chromium rows), made block by block from a seed (see `page/pattern.js`), with their SHA-256.
 * @module
 */
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { BLOCK_SIZE, fillBlock } from './page/pattern.js'

/** One mebibyte. */
export const MiB = 1024 * 1024

/** One gibibyte. */
export const GiB = 1024 * MiB

/** A data file on disk. */
export interface DataFile {
  /** Absolute path. */
  path: string
  /** Bytes. */
  size: number
  /** SHA-256 (hex) of the bytes. */
  sha256: string
}

/** Calls `each` with every block of the data for `seed` of `size` bytes, in order (one reused buffer). */
async function forEachBlock(size: number, seed: number, each: (block: Uint8Array) => Promise<void> | void): Promise<void> {
  if (size % 4 !== 0) throw new RangeError('bench data sizes must be multiples of 4 bytes')
  const buffer = new Uint8Array(BLOCK_SIZE)
  for (let index = 0, at = 0; at < size; index++, at += BLOCK_SIZE) {
    const block = buffer.subarray(0, Math.min(BLOCK_SIZE, size - at))
    fillBlock(block, seed, index)
    await each(block)
  }
}

/** The SHA-256 (hex) of the data for `seed` of `size` bytes, without keeping it. */
export async function dataSha256(size: number, seed: number): Promise<string> {
  const hash = createHash('sha256')
  await forEachBlock(size, seed, (block) => void hash.update(block))
  return hash.digest('hex')
}

/** Writes the data for `seed` of `size` bytes to `dir/data-<size>-<seed>.bin`. */
export async function writeDataFile(dir: string, size: number, seed: number): Promise<DataFile> {
  const path = join(dir, `data-${size}-${seed}.bin`)
  const hash = createHash('sha256')
  const file = await open(path, 'w')
  try {
    await forEachBlock(size, seed, async (block) => {
      hash.update(block)
      await file.write(block)
    })
  } finally {
    await file.close()
  }
  return { path, size, sha256: hash.digest('hex') }
}

/** A small seeded PRNG (mulberry32) returning numbers in [0, 1), for reproducible cut points. */
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

/**
 * `count` distinct byte positions in `[margin, size - margin)`, sorted, from `seed`: where the
 * resume-waste runs cut the connection.
 */
export function cutPoints(size: number, count: number, seed: number, margin = Math.min(MiB, Math.floor(size / 8))): number[] {
  const random = seededRandom(seed)
  const points = new Set<number>()
  while (points.size < count) points.add(margin + Math.floor(random() * (size - 2 * margin)))
  return [...points].sort((a, b) => a - b)
}

/** Data files by size, written once and removed together. */
export class DataFiles {
  private readonly files = new Map<number, Promise<DataFile>>()

  /**
   * @param dir where the files go (the caller removes it)
   * @param seed the data's seed
   */
  constructor(
    private readonly dir: string,
    private readonly seed: number,
  ) {}

  /** The file of `size` bytes (written on first use). */
  get(size: number): Promise<DataFile> {
    let file = this.files.get(size)
    if (!file) {
      file = writeDataFile(this.dir, size, this.seed)
      this.files.set(size, file)
    }
    return file
  }
}

/**
 * The adaptive request size (src/upload/request-size.ts): single observations (table tests), and
 * whole uploads over simulated links (a rate, a fixed round trip per request, seeded noise) so
 * the growth, the cap, the shrink and the stability are checked as the Upload would feed them.
 */
import { describe, expect, it } from 'vitest'
import { createRequestSizer, type RequestSizer } from '../../src/upload/request-size'
import { seededRandom } from '../support/files'

const MiB = 1024 * 1024
const GiB = 1024 * MiB
const CAP = 256 * MiB

/** A link: `rate` MiB/s, `roundTripMs` per request, and a factor on each request's rate (noise). */
interface Link {
  rateMiBps: number
  roundTripMs: number
  noise?: () => number
}

/** How long `bytes` take on `link` from the first byte to the response. */
function duration(link: Link, bytes: number): number {
  const rate = link.rateMiBps * (link.noise?.() ?? 1)
  return ((bytes / MiB) * 1000) / rate + link.roundTripMs
}

interface Simulated {
  sizes: number[]
  durations: number[]
  roundTripShare: number
}

/** Uploads `total` bytes over `link` with requests of `sizer.size()` bytes (the last one smaller). */
function simulate(sizer: RequestSizer, link: Link, total: number): Simulated {
  const sizes: number[] = []
  const durations: number[] = []
  let sent = 0
  let time = 0
  while (sent < total) {
    const bytes = Math.min(sizer.size(), total - sent)
    const ms = duration(link, bytes)
    sizes.push(bytes)
    durations.push(ms)
    sizer.observe(bytes, ms)
    sent += bytes
    time += ms
  }
  return { sizes, durations, roundTripShare: (sizes.length * link.roundTripMs) / time }
}

/** A factor in [1 - spread, 1 + spread], uniform. */
function noise(seed: number, spread: number): () => number {
  const random = seededRandom(seed)
  return () => 1 - spread + 2 * spread * random()
}

/** How often consecutive sizes differ. */
function changes(sizes: number[]): number {
  return sizes.filter((size, index) => index > 0 && size !== sizes[index - 1]).length
}

function isValidSize(size: number, max: number): boolean {
  return Number.isSafeInteger(size) && size >= 1 && size <= Math.min(max, CAP)
}

describe('createRequestSizer: the first size', () => {
  it.each([
    { initial: 8 * MiB, max: Infinity, size: 8 * MiB },
    { initial: 8 * MiB, max: 4 * MiB, size: 4 * MiB },
    { initial: 1024, max: Infinity, size: MiB },
    { initial: 0, max: Infinity, size: MiB },
    { initial: 8 * GiB, max: Infinity, size: CAP },
    { initial: 8 * GiB, max: 300 * MiB, size: CAP },
    { initial: 8 * MiB, max: 512 * 1024, size: 512 * 1024 },
    { initial: 8 * MiB, max: 1000.5, size: 1000 },
    { initial: 3.7 * MiB, max: Infinity, size: Math.floor(3.7 * MiB) },
  ])('initial $initial, max $max: $size', ({ initial, max, size }) => {
    expect(createRequestSizer({ initial, max }).size()).toBe(size)
  })
})

describe('createRequestSizer: one observation', () => {
  const start = (): RequestSizer => createRequestSizer({ initial: 8 * MiB, max: Infinity })

  it('grows 4× after a short request at a high rate', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 20)
    expect(sizer.size()).toBe(32 * MiB)
  })

  it('grows to a 3 s request when that is less than 4×', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 1600) // 5 MiB/s: 3 s is 15 MiB
    expect(sizer.size()).toBe(15 * MiB)
  })

  it('keeps the size when a request lasts 2–5 s', () => {
    for (const ms of [2000, 3000, 5000]) {
      const sizer = start()
      sizer.observe(8 * MiB, ms)
      expect(sizer.size()).toBe(8 * MiB)
    }
  })

  it('shrinks to a 3 s request after one over 5 s', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 8000) // 1 MiB/s
    expect(sizer.size()).toBe(3 * MiB)
  })

  it('never goes below 1 MiB when a request is very slow', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 600_000)
    expect(sizer.size()).toBe(MiB)
  })

  it('halves when the throughput fell below half of the previous request', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 1000) // 8 MiB/s, grows to 24 MiB
    expect(sizer.size()).toBe(24 * MiB)
    sizer.observe(24 * MiB, 4000) // 6 MiB/s: held, 2–5 s
    expect(sizer.size()).toBe(24 * MiB)
    sizer.observe(24 * MiB, 1000) // 24 MiB/s: grows up to 4×
    expect(sizer.size()).toBe(72 * MiB)
    sizer.observe(72 * MiB, 4900) // ~14.7 MiB/s: not below half of 24, held
    expect(sizer.size()).toBe(72 * MiB)
    sizer.observe(72 * MiB, 1000) // 72 MiB/s, short: grows
    const grown = sizer.size()
    expect(Math.abs(grown - 216 * MiB)).toBeLessThanOrEqual(1)
    sizer.observe(grown, 4500) // 48 MiB/s is not below 36: held
    expect(sizer.size()).toBe(grown)
    sizer.observe(grown, 1900) // ~114 MiB/s: grows to the cap
    expect(sizer.size()).toBe(CAP)
    sizer.observe(CAP, 4990) // ~51 MiB/s, below half of 114: halves although 2–5 s
    expect(sizer.size()).toBe(CAP / 2)
  })

  it('ignores a small last request that was fast', () => {
    const sizer = start()
    sizer.observe(MiB, 1) // the tail of an upload: says nothing about 8 MiB requests
    expect(sizer.size()).toBe(8 * MiB)
  })

  it('counts a small request that was slow', () => {
    const sizer = start()
    sizer.observe(2 * MiB, 6000) // 1/3 MiB/s
    expect(sizer.size()).toBe(MiB)
  })

  it.each([
    { bytes: 0, ms: 10 },
    { bytes: -5, ms: 10 },
    { bytes: NaN, ms: 10 },
    { bytes: 8 * MiB, ms: -1 },
    { bytes: 8 * MiB, ms: NaN },
  ])('ignores bytes $bytes in $ms ms', ({ bytes, ms }) => {
    const sizer = start()
    sizer.observe(bytes, ms)
    expect(sizer.size()).toBe(8 * MiB)
  })

  it('takes ms = 0 as a very fast request: grows, never NaN or 0', () => {
    const sizer = start()
    for (let i = 0; i < 10; i++) {
      sizer.observe(sizer.size(), 0)
      expect(isValidSize(sizer.size(), Infinity)).toBe(true)
    }
    expect(sizer.size()).toBe(CAP)
  })

  it('does not take the request after one timed at 0 ms as a collapse of the throughput', () => {
    const sizer = start()
    sizer.observe(8 * MiB, 0)
    expect(sizer.size()).toBe(32 * MiB)
    sizer.observe(32 * MiB, 70)
    expect(sizer.size()).toBe(128 * MiB)
  })

  it('takes Infinity ms as the slowest request: the floor', () => {
    const sizer = start()
    sizer.observe(8 * MiB, Infinity)
    expect(sizer.size()).toBe(MiB)
  })
})

describe('createRequestSizer over a simulated upload', () => {
  it('reaches the cap in 4 requests on a fast link and stays there', () => {
    const link = { rateMiBps: 500, roundTripMs: 3 }
    const { sizes } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 4 * GiB)
    expect(sizes.slice(0, 4)).toEqual([8 * MiB, 32 * MiB, 128 * MiB, CAP])
    expect(sizes.slice(3, -1).every((size) => size === CAP)).toBe(true)
  })

  it('keeps the round trips under 2 % of a 1 GiB upload at 500 MiB/s, 5 ms per request', () => {
    const link = { rateMiBps: 500, roundTripMs: 5 }
    const { roundTripShare } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, GiB)
    expect(roundTripShare).toBeLessThan(0.02)
  })

  it('keeps the round trips under 2 % of 10 GiB at 500 MiB/s and on a 50 ms, 20 MiB/s link', () => {
    for (const link of [
      { rateMiBps: 500, roundTripMs: 5 },
      { rateMiBps: 20, roundTripMs: 50 },
    ]) {
      const { roundTripShare } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 10 * GiB)
      expect(roundTripShare).toBeLessThan(0.02)
    }
  })

  it('never exceeds max (a server max-append-size)', () => {
    const max = 20 * MiB + 3
    const { sizes } = simulate(createRequestSizer({ initial: 8 * MiB, max }), { rateMiBps: 500, roundTripMs: 3 }, GiB)
    expect(Math.max(...sizes)).toBe(max)
    expect(sizes.every((size) => size <= max)).toBe(true)
  })

  it('keeps requests to 2–5 s on a slow link once it has adapted', () => {
    const link = { rateMiBps: 4, roundTripMs: 50 }
    const { durations } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 2 * GiB)
    expect(durations.slice(2, -1).every((ms) => ms >= 2000 && ms <= 5000)).toBe(true)
  })

  it('follows a link that slows down 20×, then recovers', () => {
    const sizer = createRequestSizer({ initial: 8 * MiB, max: Infinity })
    simulate(sizer, { rateMiBps: 400, roundTripMs: 3 }, GiB)
    expect(sizer.size()).toBe(CAP)
    const slow = simulate(sizer, { rateMiBps: 20, roundTripMs: 3 }, GiB)
    expect(slow.durations[0]).toBeGreaterThan(5000) // the first request at the old size is slow...
    expect(slow.durations.slice(1, -1).every((ms) => ms <= 5000)).toBe(true) // ...then none is
    const fast = simulate(sizer, { rateMiBps: 400, roundTripMs: 3 }, 2 * GiB)
    expect(fast.sizes.slice(2, -1).every((size) => size === CAP)).toBe(true)
  })

  it('settles on one size with ±30 % noise on the rate', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const link = { rateMiBps: 10, roundTripMs: 30, noise: noise(seed, 0.3) }
      const { sizes, durations } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 8 * GiB)
      const settled = sizes.slice(4, -1)
      expect(changes(settled) / settled.length).toBeLessThan(0.05)
      expect(durations.slice(4, -1).every((ms) => ms >= 2000 && ms <= 5000)).toBe(true)
    }
  })

  it('stays within bounds with ±50 % noise on the rate', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const link = { rateMiBps: 10, roundTripMs: 30, noise: noise(seed, 0.5) }
      const { sizes, durations } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 8 * GiB)
      const settled = sizes.slice(4, -1)
      expect(Math.min(...settled)).toBeGreaterThanOrEqual(10 * MiB)
      expect(Math.max(...settled)).toBeLessThanOrEqual(50 * MiB)
      expect(durations.slice(4, -1).every((ms) => ms >= 900 && ms <= 10_000)).toBe(true)
    }
  })

  it('stays at the cap with ±30 % noise on a fast link', () => {
    for (const seed of [6, 7, 8]) {
      const link = { rateMiBps: 500, roundTripMs: 4, noise: noise(seed, 0.3) }
      const { sizes } = simulate(createRequestSizer({ initial: 8 * MiB, max: Infinity }), link, 16 * GiB)
      expect(sizes.slice(3, -1).every((size) => size === CAP)).toBe(true)
    }
  })

  it('always gives a valid size under random observations', () => {
    const random = seededRandom(42)
    for (let run = 0; run < 200; run++) {
      const max = random() < 0.3 ? Infinity : Math.floor(random() * 600 * MiB) + 1
      const sizer = createRequestSizer({ initial: random() * 64 * MiB, max })
      for (let step = 0; step < 50; step++) {
        const bytes = random() < 0.1 ? 0 : Math.floor(random() * 2 * sizer.size())
        const ms = random() < 0.1 ? 0 : random() * 20_000
        sizer.observe(bytes, ms)
        expect(isValidSize(sizer.size(), max)).toBe(true)
      }
    }
  })
})

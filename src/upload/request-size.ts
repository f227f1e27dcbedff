/**
 * The adaptive request size: how many bytes the next request carries when the user set no
 * `chunkSize`. Pure (no clock, no globals): the caller times each request and reports it.
 *
 * Why: each request costs one round trip of stop-and-wait (the client waits for the answer before
 * the next byte leaves), measured here at 2–5 ms on 127.0.0.1 and far more on real networks. To
 * keep that under 2 % a request must last at least 50× a round trip; one lasting 2–5 s does on any
 * network, so the size grows while requests are short and the throughput holds, and shrinks when a
 * request is slow or the throughput collapses.
 *
 * The cap, {@link CAP} = 256 MiB, bounds what a cut costs against a server that drops a partial
 * body: at most one request, so at most 256 MiB and, since requests grow only while they last
 * under 2 s and shrink past 5 s, at most ~5 s of sending. At 500 MiB/s a 256 MiB request lasts
 * ~0.5 s, so a 2–5 ms round trip costs 0.4–1 % (128 MiB would be 0.8–2 %, too close to the limit).
 * @module
 */

const MiB = 1024 * 1024

/** The smallest request (unless `max` is smaller): below it the round trip dominates on any link. */
const FLOOR = MiB

/** The largest request whatever `max` says: the most a cut can cost against a body-dropping server. */
const CAP = 256 * MiB

/** Requests shorter than this grow (when the throughput held). */
const GROW_BELOW_MS = 2000

/** Requests longer than this shrink to {@link TARGET_MS} at their own rate. */
const SHRINK_ABOVE_MS = 5000

/** The duration a new size aims for. */
const TARGET_MS = 3000

/** The most a size grows in one step, so a growing throughput is seen before the next step. */
const MAX_GROWTH = 4

/** Durations under this count as this: shorter ones are timer granularity and round trips, not rates. */
const MIN_MS = 50

/** Decides the body size of each request from how long the previous ones took. */
export interface RequestSizer {
  /** Bytes for the next request: a whole number within `[min(1 MiB, max), min(max, 256 MiB)]`, at least 1. */
  size(): number
  /**
   * Reports a finished request: `bytes` of body took `ms` from its first byte to its response.
   * Ignored unless `bytes > 0` and `ms >= 0`; `ms` under 50 counts as 50 (timer granularity). A
   * request under half the current size (the upload's last bytes) only counts when it was slow.
   */
  observe(bytes: number, ms: number): void
}

/**
 * A sizer starting at `initial` bytes (8 MiB is a good start) that never exceeds `max` (the
 * server's `max-append-size`, or Infinity) nor 256 MiB, and never goes below 1 MiB unless `max`
 * is smaller. It grows up to 4× per request (aiming at a 3 s request) while requests last under
 * 2 s and the throughput did not fall below half the previous request's; it halves when it did,
 * and shrinks to a 3 s request at the measured rate when one lasted over 5 s.
 */
export function createRequestSizer(options: { initial: number; max: number }): RequestSizer {
  const top = Math.min(options.max, CAP)
  const clamp = (bytes: number): number => Math.max(1, Math.floor(Math.min(top, Math.max(FLOOR, bytes))))
  let size = clamp(options.initial)
  let lastRate = 0
  return {
    size: () => size,
    observe(bytes, ms) {
      if (!(bytes > 0 && ms >= 0)) return
      const rate = bytes / Math.max(ms, MIN_MS)
      if (ms > SHRINK_ABOVE_MS) size = clamp(rate * TARGET_MS)
      else if (bytes * 2 < size) return
      else if (rate * 2 < lastRate) size = clamp(size / 2)
      else if (ms < GROW_BELOW_MS) size = clamp(Math.min(size * MAX_GROWTH, Math.max(size, rate * TARGET_MS)))
      lastRate = rate
    },
  }
}

// The bench's test data, shared by Node (files on disk) and the Chromium page (Blobs), so both
// sides make the same bytes and the driver knows their SHA-256 without moving them. Plain
// JavaScript: the page loads it as a module as it is. Types in pattern.d.ts.

/** Bytes per block; sizes are whole blocks. */
export const BLOCK_SIZE = 1024 * 1024

/**
 * Fills `bytes` (a multiple of 4 bytes long, at most one block) with block `index` of the data
 * for `seed`: xorshift32 words, seeded per block so any block can be made on its own.
 * @param {Uint8Array} bytes
 * @param {number} seed
 * @param {number} index
 */
export function fillBlock(bytes, seed, index) {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
  let x = (Math.imul(index + 1, 0x9e3779b1) ^ seed) | 0 || 1
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    words[i] = x
  }
}

/** Bytes per block; sizes are whole blocks. */
export declare const BLOCK_SIZE: number

/**
 * Fills `bytes` (a multiple of 4 bytes long, at most one block) with block `index` of the data
 * for `seed`: xorshift32 words, seeded per block so any block can be made on its own.
 */
export declare function fillBlock(bytes: Uint8Array, seed: number, index: number): void

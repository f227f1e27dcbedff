import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

// Node unit tests (no network) and integration tests (real servers on 127.0.0.1).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['test/unit/**/*.test.{ts,tsx}', 'test/integration/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
})

import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

/**
 * Runs the React hook tests (test/unit/react.test.tsx). With `REACT_COMPAT_DIR` set (by
 * test/package/react-compat.mjs) `react`, `react-dom` and `@testing-library/*` come from that
 * directory's node_modules instead, so the hook and the test renderer share one other React.
 */
const compat = process.env.REACT_COMPAT_DIR
const fromCompat = (name: string) => ({
  find: new RegExp(`^${name.replace('/', '\\/')}(\\/.*)?$`),
  replacement: `${compat}/node_modules/${name}$1`,
})

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  resolve: compat ? { alias: ['react-dom', 'react', '@testing-library/react', '@testing-library/dom'].map(fromCompat) } : {},
  test: {
    include: ['test/unit/react.test.tsx'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
  },
})

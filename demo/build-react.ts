/**
 * Builds the React demo page (demo/react) with Vite into `outDir`, the hook taken from the
 * package's built dist/react/index.js, as an app using the package would get it.
 */
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

const root = fileURLToPath(new URL('..', import.meta.url))

/** Builds demo/react into `outDir` (emptied first). */
export async function buildReactDemo(outDir: string): Promise<void> {
  await build({
    configFile: false,
    root: `${root}/demo/react`,
    base: '/react/',
    // 'error': Vite notes that the tus chunk is also reachable statically (the entry re-exports it).
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    resolve: { alias: [{ find: /^(?:\.\.\/)+src\/react\/index$/, replacement: `${root}/dist/react/index.js` }] },
    build: { outDir, emptyOutDir: true, reportCompressedSize: false },
  })
}

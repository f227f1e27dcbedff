// Builds: ESM entries for browsers and Node (with source maps and .d.ts), and the minified
// script-tag bundle `dist/resumable-upload.min.js` (IIFE, global `ResumableUpload`).
import { builtinModules } from 'node:module'
import nodeResolve from '@rollup/plugin-node-resolve'
import terser from '@rollup/plugin-terser'
import typescript from '@rollup/plugin-typescript'

const runtimeDependencies = ['p-retry', 'mitt', 'react']
const nodeBuiltins = [...builtinModules, ...builtinModules.map((name) => `node:${name}`)]

const typescriptOptions = (declarations) => ({
  tsconfig: './tsconfig.json',

  compilerOptions: {
    noEmit: false,
    declaration: declarations,
    declarationMap: declarations,
    declarationDir: declarations ? 'dist' : undefined,
    outDir: 'dist',
    rootDir: 'src',
    sourceMap: true,
  },
})

export default [
  {
    input: { index: 'src/index.ts', node: 'src/node.ts', 'react/index': 'src/react/index.ts' },
    external: (id) => runtimeDependencies.some((dep) => id === dep || id.startsWith(`${dep}/`)) || nodeBuiltins.includes(id),
    plugins: [typescript(typescriptOptions(true))],
    output: {
      dir: 'dist',
      format: 'es',
      sourcemap: true,
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
    },
  },
  {
    input: 'src/index.ts',
    plugins: [nodeResolve({ browser: true }), typescript(typescriptOptions(false))],
    output: {
      file: 'dist/resumable-upload.min.js',
      format: 'iife',
      name: 'ResumableUpload',
      sourcemap: true,
      plugins: [terser({ format: { comments: false } })],
    },
  },
]

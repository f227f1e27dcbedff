#!/usr/bin/env node
/**
 * Runs the React hook tests (test/unit/react.test.tsx) against another React version:
 *
 *   node test/package/react-compat.mjs 18.3.1
 *
 * React, ReactDOM and @testing-library/{react,dom} of that version are installed into a scratch
 * directory (npm's cache first; React 18 needs the registry once) and aliased in by
 * test/package/vitest.react.config.ts, so the hook and the renderer share that one React.
 * An alias install in this project (`react18: npm:react@18.3.1`) would not work: react-dom 18
 * would `require('react')` and get the project's React 19.
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const version = process.argv[2] ?? '18.3.1'
const repo = fileURLToPath(new URL('../..', import.meta.url))
const dir = mkdtempSync(join(tmpdir(), `resumable-upload-react-${version}-`))
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx'

try {
  const dependencies = {
    react: version,
    'react-dom': version,
    '@testing-library/react': '16.3.3',
    '@testing-library/dom': '10.4.2',
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'react-compat', private: true, dependencies }, null, 2))
  const install = spawnSync(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' })
  if (install.status !== 0) throw new Error(`npm install of React ${version} failed`)

  const run = spawnSync(npx, ['vitest', 'run', '--config', 'test/package/vitest.react.config.ts'], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, REACT_COMPAT_DIR: dir, EXPECT_REACT_MAJOR: version.split('.')[0] },
  })
  process.exitCode = run.status ?? 1
} finally {
  rmSync(dir, { recursive: true, force: true })
}

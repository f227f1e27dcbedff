import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../../src', import.meta.url))
const MAX_LINES = 300

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(entries.map((entry) => (entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [join(dir, entry.name)])))
  return nested.flat().filter((file) => /\.tsx?$/.test(file))
}

// A file over ~300 lines is a sign of a missing piece (STYLE.md); issue 11 makes it a rule for src/.
it(`no file in src/ is over ${MAX_LINES} lines`, async () => {
  const files = await sourceFiles(SRC)
  expect(files.length).toBeGreaterThan(20)
  const long = []
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n').length - 1
    if (lines > MAX_LINES) long.push(`${file.slice(SRC.length + 1)}: ${lines}`)
  }
  expect(long).toEqual([])
})

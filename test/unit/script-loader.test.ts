// src/script/loader.ts: where the script-tag bundle looks for its sibling files.
import { describe, expect, it } from 'vitest'
import { siblingBase } from '../../src/script/loader'

describe('siblingBase', () => {
  it('is the bundle URL itself when it names the file', () => {
    for (const url of ['https://cdn.example/lib/dist/resumable-upload.min.js', 'http://127.0.0.1:8080/dist/resumable-upload.min.js?v=3']) {
      expect(siblingBase(url, '1.2.3')).toBe(url)
      expect(new URL('resumable-upload.tus.min.js', siblingBase(url, '1.2.3')).pathname).toMatch(/\/dist\/resumable-upload\.tus\.min\.js$/)
    }
  })

  it('is the package dist/ at this version when the URL names the package (a CDN redirect)', () => {
    expect(siblingBase('https://unpkg.com/resumable-upload', '1.2.3')).toBe('https://unpkg.com/resumable-upload@1.2.3/dist/')
    expect(siblingBase('https://unpkg.com/resumable-upload/', '1.2.3')).toBe('https://unpkg.com/resumable-upload@1.2.3/dist/')
    expect(siblingBase('https://unpkg.com/resumable-upload@1.2', '1.2.3')).toBe('https://unpkg.com/resumable-upload@1.2/dist/')
    expect(siblingBase('https://cdn.jsdelivr.net/npm/resumable-upload@1.2.3/', '1.2.3')).toBe('https://cdn.jsdelivr.net/npm/resumable-upload@1.2.3/dist/')
  })
})

// Types of what bench-page.js puts on `window`.

/** A finished upload in the page. */
export interface PageUpload {
  /** Wall time in ms (performance.now()). */
  ms: number
  /** The upload URL (the ceiling: the plain upload's Location). */
  url: string
}

/** `window.bench`. */
export interface BenchPage {
  /** Resolves once the browser holds the whole Blob. */
  makeBlob(size: number, seed: number): Promise<number>
  settle(): Promise<void>
  dropBlob(): void
  raw(endpoint: string): Promise<PageUpload>
  /** `chunkSize` `'default'`: `new Upload(blob, { endpoint })`, nothing else set. */
  ours(endpoint: string, protocol: 'ietf' | 'tus', chunkSize: number | null | 'default'): Promise<PageUpload>
  tusJs(endpoint: string, chunkSize: number | null): Promise<PageUpload>
}

/** The page's global object as the driver sees it. */
export interface BenchWindow {
  bench: BenchPage
}

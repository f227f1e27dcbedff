// What the test pages put on `window`: the script-tag bundle and test/browser/pages/helpers.js.
import type * as ResumableUploadApi from '../../src/index'

/** One recorded Upload event. */
export interface RecordedEvent {
  name: 'url' | 'progress' | 'state' | 'retry' | 'chunk' | 'error'
  event: Record<string, unknown>
}

declare global {
  interface Window {
    ResumableUpload: typeof ResumableUploadApi
    makeRandomBlob(size: number): Promise<{ blob: Blob; sha256: string }>
    recordEvents(upload: ResumableUploadApi.Upload): RecordedEvent[]
    cutPatches(cutAt: number[], chunkSize: number): (request: ResumableUploadApi.RequestDescription) => Promise<Record<string, string>>
    /** Exposed by specs that steer the server from the page. */
    cutNextRequest?(afterBytes: number): Promise<void>
    goOffline?(): Promise<void>
  }
}

// Helpers for browser specs, loaded by test pages next to the script-tag bundle.

/** A Blob of `size` random bytes and its SHA-256 (hex), made in the page. */
window.makeRandomBlob = async function makeRandomBlob(size) {
  const bytes = new Uint8Array(size)
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)))
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return { blob: new Blob([bytes]), sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') }
}

/** Records an Upload's events in order, for assertions after it ends. */
window.recordEvents = function recordEvents(upload) {
  const events = []
  for (const name of ['url', 'progress', 'state', 'retry', 'chunk', 'error']) {
    upload.on(name, (event) => events.push({ name, event: name === 'retry' || name === 'error' ? { code: (event.error ?? event).code, attempt: event.attempt } : event }))
  }
  return events
}

/**
 * A `headers` option that, before the PATCHes numbered in `cutAt` (1-based) are sent, asks the
 * spec (window.cutNextRequest) to cut that request at a random point inside its `chunkSize`
 * bytes. Being called before each request, the cut is armed before the request's bytes go.
 */
window.cutPatches = function cutPatches(cutAt, chunkSize) {
  const numbers = new Set(cutAt)
  let patches = 0
  return async (request) => {
    if (request.method === 'PATCH' && numbers.has(++patches)) {
      await window.cutNextRequest(65536 + Math.floor(Math.random() * (chunkSize - 131072)))
    }
    return {}
  }
}

// A classic worker for script-tag.spec.ts: the script-tag bundle through importScripts, then one
// upload of `size` random bytes as the page asks (protocol and endpoint), reported with postMessage.
/* global importScripts, ResumableUpload */
importScripts('/dist/resumable-upload.min.js')

self.onmessage = async ({ data }) => {
  try {
    const bytes = new Uint8Array(data.size)
    for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + 65536)))
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
    const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('')
    const upload = new ResumableUpload.Upload(new Blob([bytes]), { endpoint: data.endpoint, protocol: data.protocol, store: false, retry: { retries: 0 } })
    const { url } = await upload.start()
    self.postMessage({ type: 'done', url, sha256 })
  } catch (error) {
    self.postMessage({ type: 'error', code: error && error.code, message: String(error && error.message) })
  }
}

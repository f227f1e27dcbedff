// The page side of test/browser/worker.spec.ts: starts a dedicated Worker (a module worker that
// imports the ESM build, or a classic one that loads the script-tag bundle) and relays its messages.

/**
 * Starts a worker, sends it `message` and resolves with its last message: `done` or `error`, or
 * `terminated` when `terminateAt` is set and the worker reported that many bytes acknowledged
 * (the worker is then killed mid-upload, as a closed tab would be).
 */
window.runInWorker = function runInWorker(kind, message, terminateAt) {
  return new Promise((resolve, reject) => {
    const worker = kind === 'module' ? new Worker('/upload-worker.mjs', { type: 'module' }) : new Worker('/upload-worker-classic.js')
    const seen = { urls: [] }
    worker.onmessage = ({ data }) => {
      if (data.type === 'url') seen.urls.push(data.url)
      else if (data.type === 'progress') {
        if (terminateAt !== undefined && data.bytesAcked >= terminateAt) {
          worker.terminate()
          resolve({ type: 'terminated', bytesAcked: data.bytesAcked, ...seen })
        }
      } else {
        worker.terminate()
        resolve({ ...data, ...seen })
      }
    }
    worker.onerror = (event) => {
      worker.terminate()
      reject(new Error(`worker error: ${event.message}`))
    }
    worker.postMessage(message)
  })
}

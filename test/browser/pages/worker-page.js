// The page side of test/browser/worker.spec.ts: starts a dedicated Worker (a module worker that
// imports the ESM build, or a classic one that loads the script-tag bundle) and relays its messages.

/** What the running worker reported so far (`retries` is read by the spec while it waits). */
window.workerSeen = { urls: [], retries: 0 }

/**
 * Starts a worker, sends it `message` and resolves with its last message: `done` or `error`, or
 * `terminated` when `terminateAt` is set and the worker reported that many bytes acknowledged
 * (the worker is then killed mid-upload, as a closed tab would be). With `offlineAt`, the spec's
 * `goOffline` is called once that many bytes are acknowledged.
 */
window.runInWorker = function runInWorker(kind, message, { terminateAt, offlineAt } = {}) {
  return new Promise((resolve, reject) => {
    const worker = kind === 'module' ? new Worker('/upload-worker.mjs', { type: 'module' }) : new Worker('/upload-worker-classic.js')
    const seen = { urls: [], retries: 0 }
    window.workerSeen = seen
    let offline = false
    worker.onmessage = ({ data }) => {
      if (data.type === 'url') seen.urls.push(data.url)
      else if (data.type === 'retry') seen.retries++
      else if (data.type === 'progress') {
        if (offlineAt !== undefined && !offline && data.bytesAcked >= offlineAt) {
          offline = true
          void window.goOffline()
        }
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

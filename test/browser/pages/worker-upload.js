// Runs inside a dedicated Worker (module or classic): one upload as the page asks, reported back
// with postMessage. `api` is the SDK's exports (ESM import or self.ResumableUpload).

/* global self */
self.runUpload = async function runUpload(api, message) {
  const { Upload } = api
  const report = (data) => self.postMessage(data)
  try {
    if (message.action === 'count') {
      report({ type: 'done', restorable: (await Upload.restoreAll({})).length })
      return
    }
    let upload
    if (message.action === 'restore') {
      ;[upload] = await Upload.restoreAll({ chunkSize: message.chunkSize })
      if (!upload) throw new Error('nothing to restore')
    } else {
      const blob = await (await fetch(message.dataUrl)).blob()
      const file = new File([blob], message.name, { lastModified: message.lastModified })
      upload = new Upload(file, { endpoint: message.endpoint, chunkSize: message.chunkSize, persistBlob: true, ...(message.retry ? { retry: message.retry } : {}) })
    }
    const vias = []
    const warnings = []
    upload.on('warning', ({ code }) => warnings.push(code))
    upload.on('url', ({ url, via }) => {
      vias.push(via)
      report({ type: 'url', url })
    })
    upload.on('progress', ({ bytesAcked }) => report({ type: 'progress', bytesAcked }))
    upload.on('retry', ({ error }) => report({ type: 'retry', code: error.code }))
    const { url } = await upload.start()
    report({ type: 'done', url, vias, warnings, globals: { window: typeof window, document: typeof document } })
  } catch (error) {
    report({ type: 'error', code: error && error.code, message: String(error && error.message) })
  }
}

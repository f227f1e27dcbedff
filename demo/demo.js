// The demo page: every file gets an Upload from the script-tag bundle (window.ResumableUpload), with
// the protocol chosen in the page. S3, Azure Blob and GCS come from the bundle's sibling files
// (resumable-upload.<name>.min.js), and this page's backend (/api/, demo/api.ts) signs for them.
const api = window.ResumableUpload
const { Upload } = api
const params = new URLSearchParams(location.search)
const list = document.getElementById('list')
const drop = document.getElementById('drop')
const protocolSelect = document.getElementById('protocol')
const chunkSelect = document.getElementById('chunk')

const MiB = 1024 * 1024
// Where the IETF and tus servers are: ?endpoint= (IETF) wins, else what the backend says.
const config = fetch('/api/config').then((response) => (response.ok ? response.json() : {})).catch(() => ({}))
const endpoints = config.then((found) => ({ ietf: params.get('endpoint') ?? found.ietf ?? 'http://127.0.0.1:4000/uploads', tus: found.tus }))
// Where the storage emulators are (the backend answers once they run).
const storage = backend('/api/storage').catch(() => ({}))
// The React demo (IETF only) takes the endpoint from its query.
void endpoints.then(({ ietf }) => (document.getElementById('react-link').search = `?endpoint=${encodeURIComponent(ietf)}`))

/** Calls a backend route with JSON; throws its error message. */
async function backend(path, body, signal) {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  })
  const answer = await response.json()
  if (!response.ok) throw new Error(`${path}: ${answer?.error?.message ?? response.status}`)
  return answer
}

// The five S3 callbacks (the names and shapes of @uppy/aws-s3's): each is one call to the backend,
// which holds the credentials and presigns each part's PUT.
const s3Callbacks = {
  createMultipartUpload: (file, signal) => backend('/api/s3/multipart', { file }, signal),
  signPart: (file, { uploadId, key, partNumber, signal }) => backend('/api/s3/multipart/sign-part', { file, uploadId, key, partNumber }, signal),
  listParts: (file, { uploadId, key, signal }) => backend('/api/s3/multipart/list-parts', { file, uploadId, key }, signal),
  completeMultipartUpload: (file, { uploadId, key, parts, signal }) => backend('/api/s3/multipart/complete', { file, uploadId, key, parts }, signal),
  abortMultipartUpload: async (file, { uploadId, key, signal }) => void (await backend('/api/s3/multipart/abort', { file, uploadId, key }, signal)),
}

// Azure and GCS objects are named after the file (size and name), so a reload that resumes asks for
// the same blob again: a refreshed SAS must name the blob the stored record names.
const objectName = (file) => `demo/${file.size}-${(file.name ?? 'blob').replace(/[^\w.()+,=@ -]/g, '_')}`
const azureSas = async (file) => (await backend(`/api/azure/sas?name=${encodeURIComponent(objectName(file))}`)).url
const gcsSession = async (file) => (await backend('/api/gcs/session', { name: objectName(file), type: file.type, size: file.size })).sessionUrl

/**
 * The protocols of the selector: the Upload options each needs, whether it is loaded, and what to
 * ask the backend for the stored object's SHA-256 about (`ref`).
 */
const protocols = {
  ietf: { label: 'IETF', options: async () => ({ endpoint: (await endpoints).ietf }), ref: (_file, result) => result.url },
  tus: { label: 'tus', options: async () => ({ endpoint: (await endpoints).tus, protocol: 'tus' }), ref: (_file, result) => result.url },
  s3: {
    label: 'S3',
    sibling: { file: 'resumable-upload.s3.min.js', global: 's3' },
    options: async () => ({ protocol: api.s3(s3Callbacks) }),
    minChunk: 5 * MiB,
    ref: (_file, result) => result.url,
  },
  azure: {
    label: 'Azure Blob',
    sibling: { file: 'resumable-upload.azure.min.js', global: 'azureBlob' },
    options: async () => ({ protocol: api.azureBlob({ url: azureSas }) }),
    ref: (file) => objectName(file),
  },
  gcs: {
    label: 'GCS',
    sibling: { file: 'resumable-upload.gcs.min.js', global: 'gcs' },
    // Session URIs are trusted on GCS's own origin only, unless the page names another: here, the emulator's.
    options: async () => ({ protocol: api.gcs({ sessionUrl: gcsSession, allowedOrigins: [(await storage).gcs] }) }),
    minChunk: 256 * 1024,
    ref: (file, result) => gcsObjectName(result) ?? objectName(file),
  },
}

/** The object GCS names in its final answer (the object's JSON). */
function gcsObjectName(result) {
  try {
    return JSON.parse(result.response.body).name
  } catch {
    return undefined
  }
}

/**
 * Loads a protocol's sibling file; resolves true once it has defined its function (which happens
 * after the file's own load event, once the files it shares with the bundle are there).
 */
function loadSibling({ file, global }) {
  return new Promise((resolve) => {
    const script = document.createElement('script')
    script.src = `/dist/${file}`
    script.onerror = () => resolve(false)
    script.onload = () => {
      const started = Date.now()
      const check = () => {
        if (typeof api[global] === 'function') resolve(true)
        else if (Date.now() - started > 15000) resolve(false)
        else setTimeout(check, 20)
      }
      check()
    }
    document.head.append(script)
  })
}

// Each storage protocol's option is enabled once its file has loaded; a file that is not built yet
// leaves the option disabled and says so.
const ready = Object.fromEntries(
  Object.entries(protocols).map(([id, protocol]) => {
    if (!protocol.sibling) return [id, Promise.resolve(true)]
    const loaded = loadSibling(protocol.sibling).then((ok) => {
      const option = protocolSelect.querySelector(`option[value="${id}"]`)
      option.disabled = !ok
      if (!ok) option.textContent += ' (coming)'
      return ok
    })
    return [id, loaded]
  }),
)

/** The chunk (part, block) size for `id` from the selector: within what the protocol takes. */
function chunkSizeFor(id) {
  const chosen = Number(chunkSelect.value)
  if (id === 'ietf' || id === 'tus') return { chunkSize: chosen }
  // The storage protocols send parts: "one request" means their default part size.
  if (chosen === Infinity) return {}
  return { chunkSize: Math.max(chosen, protocols[id].minChunk ?? 0) }
}

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`
}

async function addFile(file) {
  const id = protocolSelect.value
  // persistBlob keeps the file in IndexedDB, so a reload can resume it with no file picker.
  const options = { ...(await protocols[id].options()), ...chunkSizeFor(id), persistBlob: true }
  show(id, file, new Upload(file, options))
}

/** Adds the list item of an upload and starts it. */
function show(id, file, upload) {
  const item = document.createElement('li')
  item.dataset.protocol = id
  item.innerHTML = `<div class="row"><span><span class="protocol"></span> <strong class="name"></strong></span><span class="state">idle</span></div>
    <progress max="1" value="0"></progress>
    <div class="row meta"><span class="bytes"></span><span class="speed"></span><span class="via"></span></div>
    <div class="row buttons"><span><button class="pause">Pause</button> <button class="cancel">Cancel</button></span></div>
    <dl class="digest" hidden><dt>SHA-256 of the file</dt><dd class="sha-file"></dd><dt>SHA-256 the server stored</dt><dd class="sha-stored"></dd><dt></dt><dd class="verdict"></dd></dl>`
  item.querySelector('.protocol').textContent = protocols[id].label
  item.querySelector('.name').textContent = file.name
  list.append(item)
  let last = { t: performance.now(), bytes: 0 }
  upload.on('state', ({ state }) => {
    item.className = `state-${state}`
    item.querySelector('.state').textContent = state
    item.querySelector('.pause').textContent = state === 'paused' ? 'Resume' : 'Pause'
    item.querySelector('.buttons').hidden = state === 'complete' || state === 'aborted'
  })
  upload.on('url', ({ url, via }) => {
    // IETF and tus learn the upload's URL (and say how); the storage protocols name the object once it is complete.
    item.querySelector('.via').textContent = protocols[id].sibling
      ? `${id === 'gcs' ? 'session' : 'object'}: ${url}`
      : `URL from: ${via === '104' ? '104 interim response' : via === 'created' ? 'creation response' : 'stored record'}`
  })
  upload.on('retry', ({ attempt, error }) => { item.querySelector('.state').textContent = `retrying (${attempt}: ${error.code})` })
  upload.on('progress', ({ bytesAcked, bytesSent, bytesTotal }) => {
    const total = bytesTotal ?? file.size
    item.querySelector('progress').value = total ? bytesSent / total : 1
    item.querySelector('.bytes').textContent = `${formatBytes(bytesAcked)} stored of ${formatBytes(total)}`
    const now = performance.now()
    if (now - last.t > 500) {
      const speed = ((bytesSent - last.bytes) / (now - last.t)) * 1000
      const eta = speed > 0 ? Math.round((total - bytesSent) / speed) : Infinity
      item.querySelector('.speed').textContent = speed > 0 ? `${formatBytes(speed)}/s, ${eta} s left` : ''
      last = { t: now, bytes: bytesSent }
    }
  })
  item.querySelector('.pause').onclick = () => (upload.state === 'paused' ? upload.resume() : upload.pause())
  item.querySelector('.cancel').onclick = () => upload.abort({ terminate: true })
  upload.start().then(
    (result) => {
      item.querySelector('.speed').textContent = `done: ${result.response.status}`
      void compareDigests(item, id, file, result)
    },
    (error) => { item.querySelector('.speed').textContent = `${error.code}: ${error.message}` },
  )
}

/** SHA-256 (hex) of a Blob, in the page. */
async function sha256Hex(blob) {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()))
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** Shows the file's SHA-256 (computed here) next to the stored object's (as its server reports it). */
async function compareDigests(item, id, file, result) {
  const digest = item.querySelector('.digest')
  digest.hidden = false
  const verdict = item.querySelector('.verdict')
  verdict.textContent = 'hashing…'
  try {
    item.dataset.ref = protocols[id].ref(file, result)
    const [mine, stored] = await Promise.all([
      file.size > 1024 * MiB ? Promise.resolve('(over 1 GiB: not hashed in the page)') : sha256Hex(file),
      backend(`/api/sha256?protocol=${id}&ref=${encodeURIComponent(item.dataset.ref)}`),
    ])
    item.querySelector('.sha-file').textContent = mine
    item.querySelector('.sha-stored').textContent = `${stored.sha256} (${formatBytes(stored.size)})`
    const same = mine === stored.sha256 && stored.size === file.size
    verdict.textContent = same ? 'equal: nothing lost' : 'DIFFERENT'
    digest.classList.toggle('same', same)
    digest.classList.toggle('differs', !same)
  } catch (error) {
    verdict.textContent = `could not compare: ${error.message}`
  }
}

// After a reload: every unfinished upload whose file was kept resumes, each with its own protocol
// (restoreAll returns the records of the protocol it is given).
Promise.all(
  Object.entries(protocols).map(async ([id, protocol]) => {
    if (!(await ready[id])) return []
    const { endpoint: _endpoint, ...options } = await protocol.options()
    const uploads = await Upload.restoreAll({ ...options, ...chunkSizeFor(id) })
    return uploads.map((upload) => [id, upload])
  }),
).then((found) => {
  const uploads = found.flat()
  const note = document.getElementById('restored')
  note.textContent = uploads.length ? `Resuming ${uploads.length} unfinished upload(s) from before the reload.` : ''
  for (const [id, upload] of uploads) show(id, upload.input, upload)
})

function updateControls() {
  const id = protocolSelect.value
  document.getElementById('cut').disabled = id !== 'ietf' && id !== 'gcs'
  const notes = {
    ietf: 'The reference server (test/server). "Drop the connection" cuts its next append: the upload asks for the offset and goes on.',
    tus: 'A tus 1.0 server (@tus/server with a file store).',
    s3: 'Multipart upload to s3rver: parts of at least 5 MiB, 4 in flight, each PUT presigned by /api/s3/.',
    azure: 'Block blob in Azurite: blocks 4 in flight through a SAS from /api/azure/sas.',
    gcs: 'Resumable session in the GCS emulator, opened by /api/gcs/session: one chunk at a time, in 256 KiB units. "Drop the connection" cuts the next chunk: the emulator keeps only whole 256 KiB units of it, and the upload goes on from what it says it holds.',
  }
  document.getElementById('protocol-note').textContent = notes[id]
}
protocolSelect.addEventListener('change', updateControls)
updateControls()

document.getElementById('files').addEventListener('change', (event) => {
  ;[...event.target.files].forEach(addFile)
  // Cleared, so that choosing the same file again (say, with another protocol) is a change too.
  event.target.value = ''
})
drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over') })
drop.addEventListener('dragleave', () => drop.classList.remove('over'))
drop.addEventListener('drop', (event) => { event.preventDefault(); drop.classList.remove('over'); [...event.dataTransfer.files].forEach(addFile) })
document.getElementById('cut').addEventListener('click', async () => {
  // The GCS emulator's fault injection, through the backend: cut the next chunk.
  if (protocolSelect.value === 'gcs') return void (await backend('/api/gcs/cut', {}))
  // The reference server's fault injection: cut the next append after 256 KiB of its body.
  await fetch(new URL('/__control/faults', (await endpoints).ietf), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'destroy', afterBytes: 262144, match: { kind: 'append' } }),
  })
})

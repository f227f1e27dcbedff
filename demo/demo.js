// The demo page: every file gets an Upload from the script-tag bundle (window.ResumableUpload).
const { Upload } = window.ResumableUpload
const endpoint = new URLSearchParams(location.search).get('endpoint') ?? 'http://127.0.0.1:4000/uploads'
const list = document.getElementById('list')
const drop = document.getElementById('drop')
document.getElementById('react-link').search = location.search

function formatBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`
}

function addFile(file) {
  start(file, null)
}

function start(file, restored) {
  const item = document.createElement('li')
  item.innerHTML = `<div class="row"><strong class="name"></strong><span class="state">idle</span></div>
    <progress max="1" value="0"></progress>
    <div class="row meta"><span class="bytes"></span><span class="speed"></span><span class="via"></span></div>
    <div class="row"><span><button class="pause">Pause</button> <button class="cancel">Cancel</button></span></div>`
  item.querySelector('.name').textContent = file.name
  list.append(item)
  const chunk = Number(document.getElementById('chunk').value)
  // persistBlob keeps the file in IndexedDB, so a reload can resume it with no file picker.
  const upload = restored ?? new Upload(file, { endpoint, chunkSize: chunk, persistBlob: true })
  let last = { t: performance.now(), bytes: 0 }
  upload.on('state', ({ state }) => {
    item.className = `state-${state}`
    item.querySelector('.state').textContent = state
    item.querySelector('.pause').textContent = state === 'paused' ? 'Resume' : 'Pause'
  })
  upload.on('url', ({ via }) => { item.querySelector('.via').textContent = `URL from: ${via === '104' ? '104 interim response' : via === 'created' ? 'creation response' : 'stored record'}` })
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
    ({ response }) => { item.querySelector('.speed').textContent = `done: ${response.status}` },
    (error) => { item.querySelector('.speed').textContent = `${error.code}: ${error.message}` },
  )
}

// After a reload: every unfinished upload whose file was kept resumes from the server's offset.
Upload.restoreAll({ chunkSize: Number(document.getElementById('chunk').value) }).then((uploads) => {
  const note = document.getElementById('restored')
  note.textContent = uploads.length ? `Resuming ${uploads.length} unfinished upload(s) from before the reload.` : ''
  for (const upload of uploads) start(upload.input, upload)
})

document.getElementById('files').addEventListener('change', (event) => [...event.target.files].forEach(addFile))
drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over') })
drop.addEventListener('dragleave', () => drop.classList.remove('over'))
drop.addEventListener('drop', (event) => { event.preventDefault(); drop.classList.remove('over'); [...event.dataTransfer.files].forEach(addFile) })
document.getElementById('cut').addEventListener('click', async () => {
  // The reference server's fault injection: cut the next append after 256 KiB of its body.
  await fetch(new URL('/__control/faults', endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'destroy', afterBytes: 262144, match: { kind: 'append' } }),
  })
})

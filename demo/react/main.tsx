/**
 * The React version of the demo: `useUploads` from `resumable-upload/react` for a list of files,
 * with per-file progress, pause/resume/cancel and the server's "drop the connection" control.
 * `npm run demo` builds it with Vite (the hook resolved to the package's dist/react/index.js).
 */
import { StrictMode, useState, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { useUploads, type UploadItem } from '../../src/react/index'

const endpoint = new URLSearchParams(location.search).get('endpoint') ?? 'http://127.0.0.1:4000/uploads'
const MiB = 1024 * 1024

function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KiB`
}

function dropNextConnection(): Promise<Response> {
  // The reference server's fault injection: cut the next append after 256 KiB of its body.
  return fetch(new URL('/__control/faults', endpoint), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'destroy', afterBytes: 262144, match: { kind: 'append' } }),
  })
}

function Item({ name, item }: { name: string; item: UploadItem }): ReactNode {
  const { bytesAcked, bytesSent, bytesTotal } = item.progress
  return (
    <li className={`state-${item.state}`}>
      <div className="row">
        <strong className="name">{name}</strong>
        <span className="state">{item.state}</span>
      </div>
      <progress max={1} value={bytesTotal ? bytesSent / bytesTotal : 0} />
      <div className="row meta">
        <span className="bytes">
          {formatBytes(bytesAcked)} stored of {formatBytes(bytesTotal ?? 0)}
        </span>
        <span>{item.error ? `${item.error.code}: ${item.error.message}` : ''}</span>
      </div>
      <div className="row">
        <span>
          <button onClick={() => (item.state === 'paused' ? item.resume() : item.pause())}>{item.state === 'paused' ? 'Resume' : 'Pause'}</button>{' '}
          <button onClick={() => void item.abort({ terminate: true })}>Cancel</button>
        </span>
      </div>
    </li>
  )
}

function App(): ReactNode {
  const [files, setFiles] = useState<File[]>([])
  const { items, progress } = useUploads(files, { endpoint, chunkSize: MiB, autoStart: true, persistBlob: true })
  return (
    <main>
      <h1>resumable-upload (React)</h1>
      <p>
        The same demo with the <code>useUploads</code> hook. <a href="/">Script-tag version</a>
      </p>
      <label className="drop">
        <input id="files" type="file" multiple onChange={(event) => setFiles((list) => [...list, ...(event.target.files ?? [])])} />
        <span>Click to choose files</span>
      </label>
      <p className="controls">
        <button id="cut" type="button" onClick={() => void dropNextConnection()}>
          Drop the connection
        </button>
        <span id="total">
          {formatBytes(progress.bytesAcked)} of {formatBytes(progress.bytesTotal ?? 0)} stored
        </span>
      </p>
      <ul id="list">
        {items.map((item, index) => (
          <Item key={index} name={files[index]?.name ?? ''} item={item} />
        ))}
      </ul>
    </main>
  )
}

const root = document.getElementById('root')
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  )

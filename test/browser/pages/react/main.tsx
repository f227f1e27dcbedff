/**
 * A page for test/browser/react.spec.ts: `useUpload` for one chosen file and `useUploads` for a
 * list, rendered in StrictMode (a development build, so effects run twice on mount). The spec
 * builds it with the hook aliased to the package's dist/react/index.js; the import below is for
 * type checking against the sources.
 */
import { StrictMode, useState, type ReactNode } from 'react'
import { createRoot } from 'react-dom/client'
import { useUpload, useUploads, type UploadSnapshot } from '../../../../src/react/index'

const params = new URLSearchParams(location.search)
const endpoint = params.get('endpoint') ?? '/uploads'
const chunkSize = Number(params.get('chunkSize') ?? 256 * 1024)
const autoStart = params.get('autoStart') === '1'

/** Every state each uploader rendered, in order, for the spec to read. */
const seen: Record<string, string[]> = {}
;(window as unknown as { seenStates: typeof seen }).seenStates = seen

function remember(name: string, state: string): void {
  const list = (seen[name] ??= [])
  if (list.at(-1) !== state) list.push(state)
}

function Status({ name, snapshot }: { name: string; snapshot: UploadSnapshot }): ReactNode {
  remember(name, snapshot.state)
  return (
    <dl data-testid={name}>
      <dt>state</dt>
      <dd data-testid={`${name}-state`}>{snapshot.state}</dd>
      <dt>acked</dt>
      <dd data-testid={`${name}-acked`}>{snapshot.progress.bytesAcked}</dd>
      <dt>total</dt>
      <dd data-testid={`${name}-total`}>{snapshot.progress.bytesTotal ?? ''}</dd>
      <dt>url</dt>
      <dd data-testid={`${name}-url`}>{snapshot.url ?? ''}</dd>
      <dt>error</dt>
      <dd data-testid={`${name}-error`}>{snapshot.error?.code ?? ''}</dd>
    </dl>
  )
}

function Single(): ReactNode {
  const [file, setFile] = useState<File | null>(null)
  const upload = useUpload(file, { endpoint, chunkSize, autoStart })
  return (
    <section>
      <input type="file" data-testid="single-input" onChange={(event) => setFile(event.target.files?.[0] ?? null)} />
      <button onClick={() => void upload.start()}>start</button>
      <button onClick={upload.pause}>pause</button>
      <button onClick={upload.resume}>resume</button>
      <button onClick={() => void upload.abort()}>abort</button>
      <Status name="single" snapshot={upload} />
    </section>
  )
}

function Many(): ReactNode {
  const [files, setFiles] = useState<File[]>([])
  const { items, progress } = useUploads(files, { endpoint, chunkSize, autoStart })
  return (
    <section>
      <input type="file" multiple data-testid="many-input" onChange={(event) => setFiles([...(event.target.files ?? [])])} />
      <p data-testid="many-acked">{progress.bytesAcked}</p>
      {items.map((item, index) => (
        <Status key={index} name={`many-${index}`} snapshot={item} />
      ))}
    </section>
  )
}

function App(): ReactNode {
  const [mounted, setMounted] = useState(true)
  return (
    <main>
      <button onClick={() => setMounted(!mounted)}>{mounted ? 'unmount' : 'mount'}</button>
      {mounted ? <Single /> : null}
      <Many />
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

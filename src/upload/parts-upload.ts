/**
 * A parts upload (S3 multipart) run for an `Upload`: the Upload hands its run over at once
 * ({@link UploadPartsProtocol.run}), and this file, loaded only from a parts protocol's
 * entry (`resumable-upload/s3`), does what the Upload's own loop does for IETF and tus: the
 * record (found by the Upload's persistence, written as parts complete), pause and resume (the
 * Upload's `state` events stop the parts in flight and start them again), the events, and
 * `abort({ terminate: true })`.
 *
 * The record is an ordinary upload record, so `persistBlob`, `Upload.restoreAll` and
 * `Upload.findPrevious` treat it as they treat IETF and tus records: its `url` is the object's URL
 * (a signed part URL without its query, so never a signature) once a part was signed, before that
 * a placeholder naming the key on a host that never resolves (`https://multipart.invalid/<key>`);
 * its `offset` the bytes of the parts completed; its `state` the protocol's state as JSON (upload
 * id, key, part size, parts completed with their ETags). Records of the previous version kept
 * that state in the `url` (`https://multipart.invalid/?state=<JSON>`): they still resume.
 * @module
 */
import { UploadError } from '../errors'
import type { UploadEvents, UploadResult, UploadState } from '../options'
import type { S3RecordState } from '../protocols/s3-types'
import { RequestSender } from '../request-sender'
import type { Transport, UploadRecord } from '../types'
import {
  partSenderFor,
  type PartsHost,
  type PartsProtocol,
  type PartsRecordHooks,
  type PartsRecordProgress,
  type PartsRun,
  type UploadPartsProtocol,
} from './parts-runner-types'
import { resolveSettings } from './settings'

/** The `url` of a parts upload's record before a part was signed: a placeholder host (`.invalid` never resolves), then the key. */
const PLACEHOLDER_URL = 'https://multipart.invalid/'

/** How the previous version's records carried the state: in the `url`, after this. */
const LEGACY_STATE_URL = `${PLACEHOLDER_URL}?state=`

/** What `terminate` needs of an Upload's latest parts run. */
interface RunEntry {
  /** The run, once made. */
  run?: PartsRun
  /** Settles with the Upload's run. */
  settled?: Promise<unknown>
  /** Forgets the record. */
  remove: () => Promise<void>
}

const runs = new WeakMap<object, RunEntry>()

/**
 * The run's failures that make the record useless: listParts naming parts that do not fit it,
 * and an upload S3 forgot once restarts ran out. (The Upload's own list, FORGET_ON in rules.ts,
 * is not imported: that would move it out of the chunk of the Upload's later code.)
 */
const FORGET_ON: ReadonlySet<string> = new Set(['offset-invalid', 'upload-gone'])

/**
 * Adds to a parts protocol what `new Upload(file, { protocol })` calls: `run`,
 * `terminate` and the `endpoint` its records name (`<name>:`).
 */
export function uploadParts<P extends PartsProtocol>(protocol: P): P & UploadPartsProtocol {
  return {
    ...protocol,
    endpoint: `${protocol.name}:`,
    run(this: PartsProtocol, ...host: PartsHost): Promise<UploadResult> {
      const persistence = host[4]
      const entry: RunEntry = { remove: () => persistence.remove() }
      runs.set(host[0], entry)
      return (entry.settled = runParts(this, host, entry))
    },
    terminate,
  }
}

/**
 * The protocol state a stored record holds: its `state` (JSON), or in a record of the previous
 * version the JSON in its `url`; undefined when there is none or it is not JSON (the protocol then
 * starts afresh).
 */
export function recordState(record: Pick<UploadRecord, 'url' | 'state'> | undefined): unknown {
  const text = record?.state ?? (record?.url.startsWith(LEGACY_STATE_URL) ? decodeURIComponent(record.url.slice(LEGACY_STATE_URL.length)) : undefined)
  try {
    return text === undefined ? undefined : (JSON.parse(text) as unknown)
  } catch {
    return undefined
  }
}

/** What a record write stores: the object's URL (or the placeholder), the state as JSON, and the bytes held. */
export function recordFields(state: S3RecordState, progress: PartsRecordProgress): { url: string; parts: { state: string; offset: number } } {
  const url = progress.url ?? PLACEHOLDER_URL + encodeURIComponent(state.key)
  return { url, parts: { state: JSON.stringify(state), offset: progress.offset } }
}

/** The runner's record: the stored one read back, each state written through the Upload's persistence. */
function recordHooks(record: UploadRecord | undefined, persistence: PartsHost[4], protocol: PartsProtocol, size: number | undefined): PartsRecordHooks {
  return {
    load: () => recordState(record),
    save: (state, progress) => {
      const { url, parts } = recordFields(state, progress)
      persistence.saveUrl(url, protocol, size, {}, parts)
    },
  }
}

/** The transports parts uploads made, by environment and name (see {@link sharedTransport}). */
const transports = new WeakMap<object, Map<string | undefined, Transport>>()

/**
 * The environment's transport named `name`, made once and shared by every parts upload (as the
 * storage SDKs share one HTTP client): Node's keep-alive connections then carry on from one
 * upload to the next instead of each upload opening (and leaving open) its own.
 */
function sharedTransport(environment: PartsHost[5], name: Parameters<PartsHost[5]['transport']>[0]): Transport {
  let made = transports.get(environment)
  if (made === undefined) transports.set(environment, (made = new Map()))
  let transport = made.get(name)
  if (transport === undefined) made.set(name, (transport = environment.transport(name)))
  return transport
}

async function runParts(protocol: PartsProtocol, host: PartsHost, entry: RunEntry): Promise<UploadResult> {
  const [upload, source, session, emitter, persistence, environment] = host
  const settings = resolveSettings(upload.options)
  const option = upload.options.transport
  const transport = typeof option === 'object' ? option : sharedTransport(environment, option)
  let stop = new AbortController()
  /** Aborted by abort() only (a pause does not stop waiting for the record's lock). */
  const ended = new AbortController()
  let resumed: (() => void) | undefined
  /** The run's own state: after a pause, the Upload is `creating` again (resume()) until this says `uploading`. */
  let runState: UploadState = 'idle'
  // The Upload's pause() and abort() stop the parts in flight; resume() (or abort()) opens the gate.
  const onState = ({ state }: UploadEvents['state']): void => {
    if (state === 'paused' || state === 'aborted') stop.abort()
    if (state === 'aborted') ended.abort()
    if (state !== 'paused') resumed?.()
  }
  const setState = (state: 'creating' | 'uploading' | 'complete'): void => {
    for (const effect of session.setState(state).effects) if (effect.kind === 'state') emitter.emit('state', { state: effect.state, previous: effect.previous })
  }
  emitter.on('state', onState)
  try {
    const record = await persistence.open(source, upload.input, protocol, () => true, ended.signal)
    const run = (entry.run = protocol.createRun({
      source,
      // The Upload's `headers` are for the app's server, never for the bucket.
      send: partSenderFor(new RequestSender(transport, undefined, () => false, settings.stallTimeout)),
      concurrency: settings.concurrency,
      chunkSize: upload.options.chunkSize,
      metadata: settings.metadata,
      retry: settings.retry,
      maxRetryAfter: settings.maxRetryAfter,
      maxRestarts: settings.restartOnGone ? settings.maxRestarts : 0,
      record: recordHooks(record, persistence, protocol, source.size),
      emit: (name, event) => {
        if (name !== 'state') {
          if (name === 'progress')
            Object.assign(session, { sent: (event as UploadEvents['progress']).bytesSent, acked: (event as UploadEvents['progress']).bytesAcked })
          emitter.emit(name, event)
          return
        }
        // creating/uploading follow the run; failed, complete, paused and aborted are the Upload's.
        const { state } = event as UploadEvents['state']
        if (state === 'creating' || state === 'uploading') {
          runState = state
          if (!stop.signal.aborted) setState(state)
        }
      },
      signal: stop.signal,
      offline: (signal) => environment.offline(signal),
    }))
    for (;;) {
      try {
        const { url, location } = await run.run(stop.signal)
        await persistence.complete(source.size)
        Object.assign(session, { url })
        setState('complete')
        return { url, response: { status: 200, headers: location === undefined ? {} : { location }, body: '' } }
      } catch (error) {
        // A failure of the run itself, or abort().
        if (!stop.signal.aborted || upload.state === 'aborted') {
          if (error instanceof UploadError && FORGET_ON.has(error.code)) await persistence.remove()
          throw error
        }
        // Paused (unless resume() came already): wait for resume(), or abort(), which opens the gate too.
        if (upload.state === 'paused') await new Promise<void>((resolve) => (resumed = resolve))
        resumed = undefined
        if ((upload.state as UploadState) === 'aborted') throw error
        stop = new AbortController()
        // The run goes on in the state it was in (it does not enter it again).
        if ((runState as UploadState) === 'uploading') setState('uploading')
      }
    }
  } finally {
    emitter.off('state', onState)
  }
}

/** `abort({ terminate: true })`: once the run settled (no part lands after it), `abortMultipartUpload` and the record goes. */
async function terminate(upload: object): Promise<void> {
  const entry = runs.get(upload)
  await entry?.settled?.catch(() => undefined)
  // Best effort, as the Upload's DELETE: a failure leaves the parts to the bucket's lifecycle rules.
  if (entry?.run) await Promise.all([entry.run.terminate().catch(() => undefined), entry.remove()])
}

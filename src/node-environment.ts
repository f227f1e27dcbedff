/** What the Node entry plugs into the Upload: node-http by default, file/Buffer/stream sources. @module */
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { installIetfResponses } from './protocols/ietf'
import * as ietfResponses from './protocols/ietf-responses'
import { toNodeSource, type NodeSourceInput } from './sources/node'
import { fileStore } from './stores/file'
import { indexedDbStore } from './stores/indexeddb'
import { sharedMemoryStore } from './stores/memory'
import { fetchTransport } from './transports/fetch'
import { nodeHttpTransport } from './transports/node-http'
import type { UploadEnvironment } from './upload'

// node-http sees 104s, read synchronously: the IETF response reader comes with the Node entry.
installIetfResponses(ietfResponses)

/** The Node environment: `node-http` unless `fetch` is asked for, a file store; Node has no offline event. */
export const nodeEnvironment: UploadEnvironment<NodeSourceInput> = {
  transport(name) {
    if (name === 'xhr') throw new TypeError('resumable-upload: the xhr transport exists only in browsers')
    return name === 'fetch' ? fetchTransport() : nodeHttpTransport()
  },
  source: toNodeSource,
  store(option, options) {
    if (option === false) return undefined
    if (typeof option === 'object') return option
    if (option === 'memory') return sharedMemoryStore()
    if (option === 'indexeddb') return indexedDbStore()
    return fileStore(options.storeDirectory ?? defaultStoreDirectory())
  },
  baseUrl: () => undefined,
  offline: () => undefined,
}

/**
 * The file store's default directory: the current user's own state directory, never a directory
 * shared with other users. Linux and others: `$XDG_STATE_HOME/resumable-upload`, else
 * `~/.local/state/resumable-upload`; macOS: `~/Library/Application Support/resumable-upload`;
 * Windows: `%LOCALAPPDATA%\resumable-upload`. Without a home directory:
 * `<tmpdir>/resumable-upload-<uid>`. The store creates it with mode 0700 and refuses it when
 * another user owns it or can write to it.
 * @param env the environment variables (default `process.env`)
 * @param platform the platform (default `process.platform`)
 */
export function defaultStoreDirectory(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const name = 'resumable-upload'
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, name)
  if (platform !== 'win32' && platform !== 'darwin' && env.XDG_STATE_HOME?.startsWith('/')) return join(env.XDG_STATE_HOME, name)
  const home = homeDirectory()
  if (home !== undefined && platform === 'darwin') return join(home, 'Library', 'Application Support', name)
  if (home !== undefined && platform !== 'win32') return join(home, '.local', 'state', name)
  if (home !== undefined) return join(home, 'AppData', 'Local', name)
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined
  return join(tmpdir(), uid === undefined ? name : `${name}-${uid}`)
}

function homeDirectory(): string | undefined {
  try {
    const home = homedir()
    return home === '' ? undefined : home
  } catch {
    return undefined
  }
}

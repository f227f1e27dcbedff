/**
 * The public names of both entries: `src/index.ts` (browsers) and `src/node.ts` (Node) each
 * re-export the shared list in `src/exports.ts` and add only their own pieces. Every runtime name
 * either entry exported before stays exported from the same entry; the type imports below fail
 * `npm run typecheck` when a public type goes missing from an entry.
 */
import { describe, expect, expectTypeOf, it } from 'vitest'
import * as shared from '../../src/exports'
import * as browser from '../../src/index'
import * as node from '../../src/node'

/** The runtime names of the shared list. */
const SHARED = ['StoreError', 'UploadError', 'fetchTransport', 'fingerprint', 'ietfProtocol', 'isRetryableStatus', 'memoryStore', 'parseRecord', 'tusProtocol']

describe('one export list shared by both entries', () => {
  it('src/exports.ts holds the shared runtime names', () => {
    expect(Object.keys(shared).sort()).toEqual(SHARED)
  })

  it.each([
    ['browser', browser as Record<string, unknown>],
    ['node', node as Record<string, unknown>],
  ])('the %s entry exports every shared name, the same objects', (_, entry) => {
    for (const name of SHARED) expect(entry[name], name).toBe((shared as Record<string, unknown>)[name])
  })

  it('the browser entry adds its Upload, the XHR transport, the IndexedDB store and the lock', () => {
    expect(Object.keys(browser).sort()).toEqual([...SHARED, 'Upload', 'acquireUploadLock', 'indexedDbStore', 'xhrTransport'].sort())
  })

  it('the Node entry adds its Upload, the node-http transport and the file store', () => {
    expect(Object.keys(node).sort()).toEqual([...SHARED, 'Upload', 'fileStore', 'nodeHttpTransport'].sort())
  })

  it('the two Upload classes are different (each entry has its own environment)', () => {
    expect(browser.Upload).not.toBe(node.Upload)
    expect(typeof browser.Upload.restoreAll).toBe('function')
    expect(typeof node.Upload.restoreAll).toBe('function')
  })
})

/** Public types of both entries (a missing one is a type error here). */
type BothEntries = [
  browser.UploadOptions,
  node.UploadOptions,
  browser.UploadErrorCode,
  node.UploadErrorCode,
  browser.UploadErrorOptions,
  node.UploadErrorOptions,
  browser.HeadersOption,
  node.HeadersOption,
  browser.RetryOptions,
  node.RetryOptions,
  browser.UploadEvents,
  node.UploadEvents,
  browser.UploadProgress,
  node.UploadProgress,
  browser.UploadResult,
  node.UploadResult,
  browser.UploadState,
  node.UploadState,
  browser.UploadWarning,
  node.UploadWarning,
  browser.UploadWarningCode,
  node.UploadWarningCode,
  browser.RestoreOptions,
  node.RestoreOptions,
  browser.IetfProtocolOptions,
  node.IetfProtocolOptions,
  browser.TusProtocol,
  node.TusProtocol,
  browser.TusProtocolOptions,
  node.TusProtocolOptions,
  browser.TusServerInfo,
  node.TusServerInfo,
  browser.FetchTransportOptions,
  node.FetchTransportOptions,
  browser.StoreErrorCode,
  node.StoreErrorCode,
  browser.FingerprintFunction,
  node.FingerprintFunction,
  browser.FingerprintOptions,
  node.FingerprintOptions,
  browser.UploadRecord,
  node.UploadRecord,
  browser.Store,
  node.Store,
  browser.Transport,
  node.Transport,
  browser.Protocol,
  node.Protocol,
  browser.Source,
  node.Source,
  browser.HeaderMap,
  node.HeaderMap,
]
type BrowserOnly = [browser.SourceInput, browser.XhrTransportOptions, browser.IndexedDbStoreOptions, browser.UploadLock]
type NodeOnly = [node.NodeSourceInput, node.NodeHttpTransportOptions, node.FileStoreOptions]

it('the public types exist in each entry (checked by the type checker)', () => {
  expectTypeOf<BothEntries>().toBeArray()
  expectTypeOf<BrowserOnly>().toBeArray()
  expectTypeOf<NodeOnly>().toBeArray()
  expectTypeOf<browser.UploadWarning['code']>().toEqualTypeOf<node.UploadWarningCode>()
})

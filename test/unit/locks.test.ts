import { afterEach, describe, expect, it, vi } from 'vitest'
import { UploadError } from '../../src/errors'
import { acquireUploadLock, LOCK_PREFIX } from '../../src/locks'

type Callback = (lock: Lock | null) => unknown

/**
 * An exclusive-only LockManager with the Web Locks semantics the lock code relies on: a callback
 * holds its lock until the promise it returns settles; `ifAvailable` gets null when the lock is
 * held; `signal` aborts a wait; `ifAvailable` together with `signal` is a NotSupportedError.
 */
function fakeLocks() {
  const held = new Set<string>()
  const queues = new Map<string, Array<() => void>>()
  const requests: Array<{ name: string; options: LockOptions }> = []

  function wait(name: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = queues.get(name) ?? []
      queues.set(name, queue)
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }
      const onAbort = (): void => {
        queue.splice(queue.indexOf(grant), 1)
        reject(signal?.reason)
      }
      queue.push(grant)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  async function request(name: string, options: LockOptions, callback: Callback): Promise<unknown> {
    requests.push({ name, options })
    if (options.ifAvailable === true && options.signal !== undefined) throw new DOMException('ifAvailable with signal', 'NotSupportedError')
    options.signal?.throwIfAborted()
    if (held.has(name)) {
      if (options.ifAvailable === true) return callback(null)
      await wait(name, options.signal)
    }
    held.add(name)
    try {
      return await callback({ name, mode: 'exclusive' } as Lock)
    } finally {
      const next = queues.get(name)?.shift()
      if (next === undefined) held.delete(name)
      else next() // hand over: the lock stays held
    }
  }
  return { request, requests, isHeld: (name: string) => held.has(name) }
}

function installLocks(): ReturnType<typeof fakeLocks> {
  const locks = fakeLocks()
  vi.stubGlobal('navigator', { locks })
  return locks
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5))

async function rejection(promise: Promise<unknown>): Promise<UploadError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  expect(error).toBeInstanceOf(UploadError)
  return error as UploadError
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('acquireUploadLock', () => {
  it('resolves to undefined without navigator (Node) or without navigator.locks (old browsers)', async () => {
    vi.stubGlobal('navigator', undefined)
    expect(await acquireUploadLock('k', 'fail')).toBeUndefined()
    vi.stubGlobal('navigator', { userAgent: 'old' })
    expect(await acquireUploadLock('k', 'wait')).toBeUndefined()
  })

  it('takes the lock named resumable-upload:<key> and holds it until release()', async () => {
    const locks = installLocks()
    const lock = await acquireUploadLock('ru1:abc', 'fail')
    expect(lock?.name).toBe('resumable-upload:ru1:abc')
    expect(LOCK_PREFIX).toBe('resumable-upload:')
    expect(locks.isHeld('resumable-upload:ru1:abc')).toBe(true)
    lock?.release()
    lock?.release()
    await tick()
    expect(locks.isHeld('resumable-upload:ru1:abc')).toBe(false)
  })

  it("'fail' mode: a held lock rejects with a locked UploadError; other keys are free", async () => {
    installLocks()
    const first = await acquireUploadLock('k', 'wait')
    const error = await rejection(acquireUploadLock('k', 'fail'))
    expect(error.code).toBe('locked')
    expect(error.retryable).toBe(false)
    const other = await acquireUploadLock('other', 'fail')
    expect(other).toBeDefined()
    first?.release()
    other?.release()
    await tick()
    expect(await acquireUploadLock('k', 'fail')).toBeDefined()
  })

  it("'fail' mode never passes a signal with ifAvailable (the API refuses that pair)", async () => {
    const locks = installLocks()
    const lock = await acquireUploadLock('k', 'fail', new AbortController().signal)
    expect(lock).toBeDefined()
    expect(locks.requests[0]?.options).toEqual({ ifAvailable: true })
  })

  it("'wait' mode: the second waits until the first releases, then holds the lock", async () => {
    const locks = installLocks()
    const first = await acquireUploadLock('k', 'wait')
    const order: string[] = []
    const second = acquireUploadLock('k', 'wait').then((lock) => {
      order.push('second granted')
      return lock
    })
    await tick()
    expect(order).toEqual([])
    order.push('first released')
    first?.release()
    const lock = await second
    expect(order).toEqual(['first released', 'second granted'])
    expect(locks.isHeld('resumable-upload:k')).toBe(true)
    expect((await rejection(acquireUploadLock('k', 'fail'))).code).toBe('locked')
    lock?.release()
  })

  it("'wait' mode: aborting the wait rejects with an aborted UploadError, and the lock is never taken", async () => {
    const locks = installLocks()
    const first = await acquireUploadLock('k', 'wait')
    const controller = new AbortController()
    const waiting = acquireUploadLock('k', 'wait', controller.signal)
    await tick()
    controller.abort(new Error('user left'))
    const error = await rejection(waiting)
    expect(error.code).toBe('aborted')
    expect(error.cause).toEqual(new Error('user left'))
    first?.release()
    await tick()
    expect(locks.isHeld('resumable-upload:k')).toBe(false)
  })

  it('an already aborted signal rejects at once, without asking for the lock', async () => {
    const locks = installLocks()
    const controller = new AbortController()
    controller.abort()
    expect((await rejection(acquireUploadLock('k', 'wait', controller.signal))).code).toBe('aborted')
    expect(locks.requests).toEqual([])
  })

  it('a LockManager that refuses to work (document not active) falls back to no lock', async () => {
    vi.stubGlobal('navigator', { locks: { request: () => Promise.reject(new DOMException('not active', 'InvalidStateError')) } })
    expect(await acquireUploadLock('k', 'wait')).toBeUndefined()
  })

  it('wanted() asks navigator.locks.query() whether another Upload waits for this key', async () => {
    const locks = installLocks()
    let pending: Array<{ name: string }> = []
    Object.assign(locks, { query: async () => ({ held: [], pending }) })
    const lock = await acquireUploadLock('k', 'fail')
    expect(await lock?.wanted()).toBe(false)
    pending = [{ name: 'resumable-upload:other' }]
    expect(await lock?.wanted()).toBe(false)
    pending = [{ name: 'resumable-upload:k' }]
    expect(await lock?.wanted()).toBe(true)
    lock?.release()
  })
})

/**
 * What the Upload does for the session's effects: events through mitt, record writes.
 * @module
 */
import type { Emitter } from 'mitt'
import type { UploadEvents } from '../options'
import type { UploadPersistence } from '../persistence'
import type { Protocol } from '../types'
import type { Effect } from './session-types'
import type { UploadSession } from './session'

/** Where effects land. */
export interface EffectTarget {
  emitter: Emitter<UploadEvents>
  persistence: UploadPersistence
  session: UploadSession
  protocol: Protocol | undefined
  size: number | undefined
}

/** Performs one effect (`cancel` and `progress` need the Upload itself and are done there). */
export function performEffect(target: EffectTarget, effect: Exclude<Effect, { kind: 'cancel' | 'progress' }>): void {
  const { emitter, persistence, session, protocol, size } = target
  switch (effect.kind) {
    case 'state':
      return void emitter.emit('state', { state: effect.state, previous: effect.previous })
    case 'url':
      if (effect.via !== 'stored' && protocol) persistence.saveUrl(effect.url, protocol, size, session.limits)
      return void emitter.emit('url', { url: effect.url, via: effect.via })
    case 'chunk':
      if (effect.save) persistence.saveOffset(effect.end, size, session.limits)
      return void emitter.emit('chunk', { start: effect.start, end: effect.end })
    case 'forget':
      return void persistence.remove()
  }
}

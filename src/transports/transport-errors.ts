/**
 * The errors a transport rejects with when its signal fires or no response arrives, and the
 * abort listener that triggers the first.
 * @module
 */
import { UploadError } from '../errors'

/**
 * The error a transport rejects with when its signal fired.
 * @param signal the fired signal; its reason becomes the cause
 */
export function abortedError(signal: AbortSignal): UploadError {
  return new UploadError('aborted', 'The request was aborted.', { cause: signal.reason })
}

/**
 * The error a transport rejects with when no final response arrived.
 * @param cause the underlying error
 * @param message a sentence for people (default: "No response from the server.")
 */
export function networkError(cause: unknown, message = 'No response from the server.'): UploadError {
  return new UploadError('network', message, { cause })
}

/**
 * Adds an abort listener and returns the function that removes it.
 * @param signal the signal
 * @param onAbort called once when it fires
 */
export function onAbort(signal: AbortSignal, onAbort: () => void): () => void {
  signal.addEventListener('abort', onAbort, { once: true })
  return () => signal.removeEventListener('abort', onAbort)
}

/**
 * The default cap on response text, in a module of its own: the XHR transport needs only this
 * number, so the capped reader (response-text.ts) stays with the fetch and node-http transports.
 * @module
 */

/** Default cap on the response body text a transport keeps: 1 MiB. */
export const DEFAULT_RESPONSE_BODY_LIMIT = 1024 * 1024

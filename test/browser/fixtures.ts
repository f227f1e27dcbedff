/**
 * Playwright fixtures: a reference server (the upload target) and a static server for the test
 * pages and the built bundles, on two different origins so every request is cross-origin (CORS).
 */
import { test as base } from '@playwright/test'
import { startReferenceServer, type ReferenceServer } from '../server'
import { startStaticServer, type StaticServer } from '../support/static-server'

/** Worker-scoped servers shared by the specs of one worker. */
export interface Servers {
  /** The reference upload server. */
  uploads: ReferenceServer
  /** Serves `test/browser/pages/` at `/` and `dist/` at `/dist/`. */
  pages: StaticServer
}

export const test = base.extend<{ uploads: ReferenceServer }, { servers: Servers }>({
  servers: [
    async ({}, use) => {
      const pages = await startStaticServer({ '/': 'test/browser/pages', '/dist/': 'dist' })
      // CORS for the pages' origin only; the control routes for the demo's "Drop the connection".
      const uploads = await startReferenceServer({ cors: { origins: [pages.url] }, control: true })
      await use({ uploads, pages })
      await pages.close()
      await uploads.close()
    },
    { scope: 'worker' },
  ],
  uploads: async ({ servers }, use) => {
    servers.uploads.faults.clear()
    await use(servers.uploads)
  },
})

export { expect } from '@playwright/test'

// `npm run screenshots`: the SMART login and consent pages as a person sees them, for the docs. Starts
// an isolated `wrangler dev` (fresh local D1/KV), registers the browser test's fixture and app, runs a
// standalone launch in headless Chromium, and saves PNGs of both pages at desktop (1280x800) and
// phone (390x844) sizes to docs/images/ (login-desktop.png, login-phone.png, consent-*.png).

import { mkdirSync } from 'node:fs'
import path from 'node:path'
import { ROOT, startIsolatedDev } from './local.ts'
import {
  APP_SCOPE,
  FIXTURE,
  launchBrowser,
  nextStop,
  registerFixture,
  signIn,
  startSmartApp,
} from './smart-launch.ts'

const SIZES = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
}
const OUT = path.join(ROOT, 'docs', 'images')
const root = { id: 'screenshots-root', secret: 'screenshots-root-secret-0123456789' }

const server = await startIsolatedDev(root)
const app = await startSmartApp({
  clientId: FIXTURE.client.id,
  clientSecret: FIXTURE.client.secret,
  scope: APP_SCOPE,
})
const browser = await launchBrowser()
try {
  await registerFixture(server.url, root, app)
  mkdirSync(OUT, { recursive: true })
  for (const [size, viewport] of Object.entries(SIZES)) {
    // A fresh context per size: no session, so the login page comes first.
    const context = await browser.newContext({ viewport, isMobile: size === 'phone' })
    const page = await context.newPage()
    await page.goto(`${app.launchUrl}?iss=${encodeURIComponent(`${server.url}/fhir`)}`)
    const shoot = async (name: string, expected: string) => {
      const stop = await nextStop(page, server.url, app)
      if (stop !== expected) throw new Error(`expected the ${expected} page, got ${stop}`)
      const file = path.join(OUT, `${name}-${size}.png`)
      await page.screenshot({ path: file, fullPage: true })
      console.log(`saved ${path.relative(ROOT, file)}`)
    }
    await shoot('login', 'login')
    await signIn(page, FIXTURE.user)
    await shoot('consent', 'consent')
    await context.close()
  }
} finally {
  await browser.close()
  await app.stop()
  await server.stop()
}

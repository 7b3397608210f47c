// `npm start`: a working local server from a fresh clone. Creates .dev.vars, applies the D1
// migrations locally, seeds KV (demo Client + AccessPolicy) and starts `wrangler dev` on PORT
// (default 8787), loads the demo FHIR data through the API, and prints the seed page's search as curl,
// over Basic and with a bearer token. .dev.vars gets a dev token signing key if it has none.
// Every step is idempotent: running it again changes nothing.

import { applyMigrations, basicHeader, ensureDevVars, seedFhir, seedKv, startDev } from './local.ts'

const started = Date.now()
const port = Number(process.env.PORT ?? 8787)
const root = await ensureDevVars()
applyMigrations()
seedKv()
const server = await startDev({ port, inherit: true })
const onSignal = () => void server.stop().then(() => process.exit(0))
process.on('SIGINT', onSignal)
process.on('SIGTERM', onSignal)

const counts = await seedFhir(server.url, root)
const demo = basicHeader('client-confidential-symmetric', 'secret')
const base = `http://localhost:${port}`
console.log(`
edge-fhir is running at ${base} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)
FHIR seed (seed/fhir): ${counts.created} created, ${counts.existing} already present

Try the seed page's search (demo client "client-confidential-symmetric", secret "secret"):

  curl -H 'accept: application/json' -H 'authorization: ${demo}' '${base}/fhir/Observation?code=4548-4&_count=2'

Or get a bearer token once and call the API with it (README "Tokens"):

  TOKEN=$(curl -s -u client-confidential-symmetric:secret -X POST ${base}/auth/token -d grant_type=client_credentials | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -H 'accept: application/json' -H "authorization: Bearer $TOKEN" '${base}/fhir/Observation?code=4548-4&_count=2'

Root credentials for everything else are in .dev.vars. Press Ctrl-C to stop.
`)

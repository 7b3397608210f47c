// SMART App Launch 2 scopes (scopes-and-launch-context.html, "Scopes for requesting FHIR resources")
// on direct calls: each interaction needs its letter (c create; r read, vread, instance history; u
// update, patch; d delete; s search and type history) on its type, v1 and v2 alike, `*` for every
// type; anything else is 403 insufficient_scope naming the scope needed (RFC 6750 §3.1). Scopes are
// enforced in addition to AccessPolicies (both must allow); Basic callers are unaffected; the admin
// API is refused to tokens; policies see the token's claims as `jwt.*`.

import { describe, expect, it } from 'vitest'
import { allowedClient, bearerFor, call, ROOT } from './helpers.ts'
import { patchBinary } from './rest-helpers.ts'
import {
  expectInsufficientScope,
  expectPolicyRefusal,
  tokenClient,
  tokenWith,
} from './scope-helpers.ts'
import { savePolicy } from './policy-helpers.ts'

const observation = (id: string) => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { text: 'scopes' },
})

/** An Observation stored as root; its id. */
async function stored(): Promise<string> {
  const id = `obs-${crypto.randomUUID().slice(0, 8)}`
  const res = await call('PUT', `/fhir/Observation/${id}`, { auth: ROOT, body: observation(id) })
  expect(res.status).toBe(201)
  return id
}

type Interaction = {
  name: string
  letter: 'c' | 'r' | 'u' | 'd' | 's'
  send: (auth: string, id: string) => Promise<Response>
  ok: number
}

const INTERACTIONS: Interaction[] = [
  {
    name: 'create',
    letter: 'c',
    ok: 201,
    send: (auth) => call('POST', '/fhir/Observation', { auth, body: observation('x') }),
  },
  {
    name: 'read',
    letter: 'r',
    ok: 200,
    send: (auth, id) => call('GET', `/fhir/Observation/${id}`, { auth }),
  },
  {
    name: 'vread',
    letter: 'r',
    ok: 200,
    send: (auth, id) => call('GET', `/fhir/Observation/${id}/_history/1`, { auth }),
  },
  {
    name: 'instance history',
    letter: 'r',
    ok: 200,
    send: (auth, id) => call('GET', `/fhir/Observation/${id}/_history`, { auth }),
  },
  {
    name: 'update',
    letter: 'u',
    ok: 200,
    send: (auth, id) =>
      call('PUT', `/fhir/Observation/${id}`, {
        auth,
        body: { ...observation(id), status: 'amended' },
      }),
  },
  {
    name: 'patch',
    letter: 'u',
    ok: 200,
    send: (auth, id) =>
      call('PATCH', `/fhir/Observation/${id}`, {
        auth,
        body: [{ op: 'replace', path: '/status', value: 'amended' }],
        headers: { 'content-type': 'application/json-patch+json' },
      }),
  },
  {
    name: 'delete',
    letter: 'd',
    ok: 204,
    send: (auth, id) => call('DELETE', `/fhir/Observation/${id}`, { auth }),
  },
  {
    name: 'type search',
    letter: 's',
    ok: 200,
    send: (auth, id) => call('GET', `/fhir/Observation?_id=${id}`, { auth }),
  },
  {
    name: 'POST _search',
    letter: 's',
    ok: 200,
    send: (auth, id) =>
      call('POST', '/fhir/Observation/_search', {
        auth,
        body: `_id=${id}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
  },
  {
    name: 'type history',
    letter: 's',
    ok: 200,
    send: (auth) => call('GET', '/fhir/Observation/_history?_count=1', { auth }),
  },
]

describe('each interaction needs its scope letter on its type (SMART v2 cruds)', () => {
  it.each(INTERACTIONS)('$name needs .$letter', async ({ letter, send, ok }) => {
    const clientId = await tokenClient()
    const others = [...'cruds'].filter((l) => l !== letter).join('')
    const without = await tokenWith(`system/Observation.${others} system/Patient.cruds`, {
      clientId,
    })
    await expectInsufficientScope(
      await send(without, await stored()),
      `system/Observation.${letter}`
    )
    const only = await tokenWith(`system/Observation.${letter}`, { clientId })
    const res = await send(only, await stored())
    expect(res.status, await res.text()).toBe(ok)
  })

  it('a scope for another type grants nothing on this one', async () => {
    const auth = await tokenWith('system/Patient.cruds')
    const id = await stored()
    for (const { send, letter } of INTERACTIONS) {
      await expectInsufficientScope(await send(auth, id), `system/Observation.${letter}`)
    }
  })

  it('letters combine as a union across scopes (Observation.r + Observation.s = Observation.rs)', async () => {
    const auth = await tokenWith('system/Observation.r system/Observation.s')
    const id = await stored()
    expect((await call('GET', `/fhir/Observation/${id}`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Observation?_id=${id}`, { auth })).status).toBe(200)
    await expectInsufficientScope(
      await call('DELETE', `/fhir/Observation/${id}`, { auth }),
      'system/Observation.d'
    )
  })
})

describe('v1 scopes are read as their v2 letters (permission-v1)', () => {
  const cases: [string, string][] = [
    ['read', 'rs'],
    ['write', 'cud'],
    ['*', 'cruds'],
  ]
  it.each(cases)('.%s is .%s', async (v1, letters) => {
    const auth = await tokenWith(`system/Observation.${v1}`)
    for (const { letter, send, ok } of INTERACTIONS) {
      const res = await send(auth, await stored())
      if (letters.includes(letter)) expect(res.status, await res.text()).toBe(ok)
      else await expectInsufficientScope(res, `system/Observation.${letter}`)
    }
  })
})

describe('wildcard types cover every type (scopes-and-launch-context "wildcard")', () => {
  it('system/*.rs reads and searches any type and writes none', async () => {
    const auth = await tokenWith('system/*.rs')
    const id = await stored()
    expect((await call('GET', `/fhir/Observation/${id}`, { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Patient?_count=1', { auth })).status).toBe(200)
    expect((await call('GET', '/fhir/Medication?_count=1', { auth })).status).toBe(200)
    await expectInsufficientScope(
      await call('POST', '/fhir/Patient', { auth, body: { resourceType: 'Patient' } }),
      'system/Patient.c'
    )
  })

  it('system/*.cruds and system/*.* allow every interaction', async () => {
    for (const scope of ['system/*.cruds', 'system/*.*']) {
      const auth = await tokenWith(scope)
      for (const { send, ok } of INTERACTIONS) {
        const res = await send(auth, await stored())
        expect(res.status, await res.text()).toBe(ok)
      }
    }
  })
})

describe('scopes that grant nothing on the FHIR API', () => {
  it('patient/ and user/ scopes (no launch context here), and non-resource scopes', async () => {
    for (const scope of ['patient/Observation.rs', 'user/*.cruds', 'openid fhirUser launch']) {
      const auth = await tokenWith(scope)
      const id = await stored()
      await expectInsufficientScope(
        await call('GET', `/fhir/Observation/${id}`, { auth }),
        'system/Observation.r'
      )
    }
  })

  it('the CapabilityStatement stays public, for a token without scopes too', async () => {
    const auth = await tokenWith('openid')
    expect((await call('GET', '/fhir/metadata', { auth })).status).toBe(200)
  })
})

describe('tokens act on FHIR data only: the admin and debug API needs Basic', () => {
  it('refuses every admin and debug route to a token with system/*.* and an allow policy', async () => {
    const auth = await tokenWith('system/*.*')
    const requests: [string, string, unknown?][] = [
      ['GET', '/Client/anything'],
      ['PUT', '/Client/anything', { secret: 'x', grant_types: ['basic'] }],
      ['DELETE', '/Client/anything'],
      ['GET', '/AccessPolicy/anything'],
      ['PUT', '/AccessPolicy/anything', { engine: 'allow' }],
      ['DELETE', '/AccessPolicy/anything'],
      ['POST', '/$matcho', { matcho: {}, resource: {} }],
      ['POST', '/auth/test-policy', { request: {}, policy: { engine: 'allow' } }],
    ]
    for (const [method, path, body] of requests) {
      const res = await call(method, path, { auth, body })
      await expectInsufficientScope(res, null)
    }
    // Nothing was written.
    expect((await call('GET', '/Client/anything', { auth: ROOT })).status).toBe(404)
  })

  it('the same client over Basic still administers (scopes do not apply to Basic)', async () => {
    expect((await call('GET', '/AccessPolicy/none-such', { auth: ROOT })).status).toBe(404)
  })
})

describe('scopes apply in addition to AccessPolicies: both must allow', () => {
  it('policy allow + scope deny is 403 insufficient_scope', async () => {
    const auth = await tokenWith('system/Patient.rs')
    await expectInsufficientScope(
      await call('GET', '/fhir/Observation?_count=1', { auth }),
      'system/Observation.s'
    )
  })

  it('scope allow + no policy is 403 from the policy, told apart by its diagnostics', async () => {
    const clientId = await tokenClient('nopolicy', false)
    const auth = await tokenWith('system/*.*', { clientId })
    await expectPolicyRefusal(await call('GET', '/fhir/Observation?_count=1', { auth }))
  })

  it('a matcho policy on jwt.scope and jwt.sub sees the token claims (Aidbox jwt.*)', async () => {
    const clientId = await tokenClient('jwt', false)
    await savePolicy(`${clientId}-jwt`, {
      engine: 'matcho',
      link: [{ resourceType: 'Client', id: clientId }],
      matcho: { jwt: { sub: clientId, scope: '#(^| )system/Observation\\.rs( |$)' } },
    })
    const good = (await bearerFor(clientId, 'system/Observation.rs system/Patient.r')).auth
    expect((await call('GET', '/fhir/Observation?_count=1', { auth: good })).status).toBe(200)
    // Same client, a token whose scope claim the pattern refuses (though its scopes would allow).
    const other = (await bearerFor(clientId, 'system/*.rs')).auth
    await expectPolicyRefusal(await call('GET', '/fhir/Observation?_count=1', { auth: other }))
  })
})

describe('Basic callers are unaffected by scopes', () => {
  it('a Basic client with an allow policy does every interaction', async () => {
    const { auth } = await allowedClient('basic-scopes')
    for (const { send, ok } of INTERACTIONS) {
      const res = await send(auth, await stored())
      expect(res.status, await res.text()).toBe(ok)
    }
    const bundle = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            request: { method: 'PATCH', url: `Observation/${await stored()}` },
            resource: patchBinary([{ op: 'replace', path: '/status', value: 'amended' }]),
          },
        ],
      },
    })
    expect(bundle.status).toBe(200)
  })
})

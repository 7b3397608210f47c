// The `fhirUser` of a token (SMART App Launch 2, scopes-and-launch-context.html#scopes-for-requesting-
// identity-data; Inferno's openid_fhir_user_claim reads it with the access token): a token acting for
// a User, granted the `fhirUser` scope, may read exactly the resource its `fhirUser` claim names,
// whatever its resource scopes (`patient/*.rs` does not reach a Practitioner). Nothing else widens:
// other resources of the type, searches, includes. AccessPolicies still decide. The claim is parsed
// strictly: one of Patient, Practitioner, RelatedPerson, Person; a valid id; an absolute URL only
// under this server's FHIR base; otherwise it grants nothing. Tokens are minted here with the claim
// (the token service of this branch does not issue it yet), as JWT and opaque, recorded as issued.

import { SignJWT } from 'jose'
import { env } from 'cloudflare:test'
import { beforeAll, describe, expect, it } from 'vitest'
import { signingKeys, TOKEN_ALG } from '../../src/auth/signing-keys.ts'
import { opaqueHash, recordToken } from '../../src/auth/token-store.ts'
import { randomBytes, toBase64Url } from '../../src/lib/crypto.ts'
import { allowClient, call, json } from './helpers.ts'
import { patientWorld } from './patient-scope-helpers.ts'
import { expectInsufficientScope, expectPolicyRefusal } from './scope-helpers.ts'
import { appClient, freshUser } from './user-helpers.ts'

const FHIR_BASE = 'https://fhir.test/fhir'
const w = patientWorld('fu')
const { a, b, tag } = w
const doc = w.id('doc')

let clientId: string
let unpolicied: string
let userId: string

beforeAll(async () => {
  await tag.put(...w.resources, {
    resourceType: 'Practitioner',
    id: w.id('other-doc'),
    name: [{ family: 'Other' }],
  })
  clientId = await appClient('fu')
  await allowClient(clientId)
  unpolicied = await appClient('fu-nopolicy')
  userId = (await freshUser()).id
})

interface Minted {
  scope: string
  fhirUser?: unknown
  patient?: string
  /** The User the token acts for; null: none (`sub` is the client). */
  user?: string | null
  format?: 'jwt' | 'opaque'
  client?: string
}

/** `Authorization: Bearer …` for a token with these claims, recorded as the token service records one. */
async function fhirUserToken(m: Minted): Promise<string> {
  const client = m.client ?? clientId
  const user = m.user === undefined ? userId : m.user
  const iat = Math.floor(Date.now() / 1000)
  const jti = crypto.randomUUID()
  const claims: Record<string, unknown> = {
    iss: FHIR_BASE,
    sub: user ?? client,
    client_id: client,
    aud: FHIR_BASE,
    iat,
    exp: iat + 300,
    jti,
    scope: m.scope,
  }
  if (m.patient) claims.patient = m.patient
  if (m.fhirUser !== undefined) claims.fhirUser = m.fhirUser
  const format = m.format ?? 'jwt'
  let token: string
  let tokenHash: string | null = null
  if (format === 'jwt') {
    const keys = (await signingKeys(env))!
    token = await new SignJWT(claims)
      .setProtectedHeader({ alg: TOKEN_ALG, kid: keys.current.kid, typ: 'at+jwt' })
      .sign(keys.current.key)
  } else {
    token = toBase64Url(randomBytes(32))
    tokenHash = await opaqueHash(token)
  }
  await recordToken(env.DB, {
    jti,
    clientId: client,
    userId: user,
    format,
    tokenHash,
    scope: m.scope,
    claims,
    issuedAt: iat,
    expiresAt: iat + 300,
  })
  return `Bearer ${token}`
}

const INFERNO_SCOPE = 'launch/patient openid fhirUser offline_access patient/*.rs'

describe('the fhirUser resource is readable with the token (SMART App Launch 2, fhirUser)', () => {
  for (const format of ['jwt', 'opaque'] as const) {
    it(`a Practitioner fhirUser under patient/*.rs, absolute URL claim (${format})`, async () => {
      const auth = await fhirUserToken({
        scope: INFERNO_SCOPE,
        fhirUser: `${FHIR_BASE}/Practitioner/${doc}`,
        patient: a,
        format,
      })
      const res = await call('GET', `/fhir/Practitioner/${doc}`, { auth })
      expect(res.status).toBe(200)
      const body = await json(res)
      expect([body.resourceType, body.id]).toEqual(['Practitioner', doc])
    })
  }

  it('a relative claim `Practitioner/<id>`; only the openid and fhirUser scopes', async () => {
    const auth = await fhirUserToken({
      scope: 'openid fhirUser',
      fhirUser: `Practitioner/${doc}`,
    })
    expect((await call('GET', `/fhir/Practitioner/${doc}`, { auth })).status).toBe(200)
  })

  it('a Patient fhirUser with no Patient scope', async () => {
    const auth = await fhirUserToken({
      scope: 'openid fhirUser patient/Observation.rs',
      fhirUser: `${FHIR_BASE}/Patient/${b}`,
      patient: a,
    })
    const body = await json(await call('GET', `/fhir/Patient/${b}`, { auth }))
    expect([body.resourceType, body.id]).toEqual(['Patient', b])
    // Its patient/ scopes are unchanged: the fhirUser's Observations are not the compartment's.
    expect((await call('GET', `/fhir/Observation/${w.id('o-b1')}`, { auth })).status).toBe(404)
  })

  it('vread and history of the fhirUser; a batch read entry of it', async () => {
    const auth = await fhirUserToken({
      scope: INFERNO_SCOPE,
      fhirUser: `Practitioner/${doc}`,
      patient: a,
    })
    expect((await call('GET', `/fhir/Practitioner/${doc}/_history/1`, { auth })).status).toBe(200)
    expect((await call('GET', `/fhir/Practitioner/${doc}/_history`, { auth })).status).toBe(200)
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: `Practitioner/${doc}` } }],
      },
    })
    expect((await json(res)).entry[0].response.status).toBe('200 OK')
  })
})

describe('nothing else is widened (scopes-and-launch-context: fhirUser is an identity claim)', () => {
  let auth: string
  beforeAll(async () => {
    auth = await fhirUserToken({
      scope: INFERNO_SCOPE,
      fhirUser: `Practitioner/${doc}`,
      patient: a,
    })
  })

  it('another Practitioner is 404, as outside a restriction; its vread is 403', async () => {
    const other = w.id('other-doc')
    expect((await call('GET', `/fhir/Practitioner/${other}`, { auth })).status).toBe(404)
    await expectInsufficientScope(
      await call('GET', `/fhir/Practitioner/${other}/_history/1`, { auth }),
      'system/Practitioner.r'
    )
  })

  it('searches of the type, even by _id, stay refused', async () => {
    await expectInsufficientScope(
      await call('GET', `/fhir/Practitioner?_id=${doc}`, { auth }),
      'system/Practitioner.s'
    )
  })

  it('_include of the fhirUser stays refused', async () => {
    await expectInsufficientScope(
      await call(
        'GET',
        `/fhir/Observation?${tag.param}&_include=Observation:performer:Practitioner`,
        { auth }
      ),
      'system/Practitioner.s'
    )
  })

  it('no write of it: update and delete are 403', async () => {
    const body = { resourceType: 'Practitioner', id: doc, name: [{ family: 'Changed' }] }
    await expectInsufficientScope(
      await call('PUT', `/fhir/Practitioner/${doc}`, { auth, body }),
      'system/Practitioner.u'
    )
    await expectInsufficientScope(await call('DELETE', `/fhir/Practitioner/${doc}`, { auth }))
  })
})

describe('AccessPolicies still apply (both must allow, fail closed)', () => {
  it('a Client without a policy is refused the fhirUser read by policy', async () => {
    const auth = await fhirUserToken({
      scope: INFERNO_SCOPE,
      fhirUser: `Practitioner/${doc}`,
      patient: a,
      client: unpolicied,
    })
    await expectPolicyRefusal(await call('GET', `/fhir/Practitioner/${doc}`, { auth }))
  })
})

describe('a claim that is not a strict fhirUser grants nothing', () => {
  const cases: [string, Minted][] = [
    ['without the fhirUser scope', { scope: 'openid patient/*.rs', fhirUser: 'Practitioner/X' }],
    [
      'an absolute URL of another server',
      { scope: INFERNO_SCOPE, fhirUser: 'https://evil.test/fhir/Practitioner/X' },
    ],
    [
      'an absolute URL of this origin outside the FHIR base',
      { scope: INFERNO_SCOPE, fhirUser: 'https://fhir.test/Practitioner/X' },
    ],
    ['a type that is not a user', { scope: INFERNO_SCOPE, fhirUser: 'Organization/X' }],
    [
      'an id that is not a FHIR id',
      { scope: INFERNO_SCOPE, fhirUser: 'Practitioner/X/_history/1' },
    ],
    [
      'a claim that is not a string',
      { scope: INFERNO_SCOPE, fhirUser: { reference: 'Practitioner/X' } },
    ],
    [
      'a token that acts for no User',
      { scope: INFERNO_SCOPE, fhirUser: 'Practitioner/X', user: null },
    ],
  ]
  for (const [name, minted] of cases) {
    it(name, async () => {
      const fhirUser =
        typeof minted.fhirUser === 'string' ? minted.fhirUser.replace(/X/, doc) : minted.fhirUser
      const auth = await fhirUserToken({ ...minted, fhirUser, patient: a })
      await expectInsufficientScope(
        await call('GET', `/fhir/Practitioner/${doc}`, { auth }),
        'system/Practitioner.r'
      )
    })
  }
})

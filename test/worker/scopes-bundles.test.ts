// SMART scopes on batch and transaction Bundles and on conditional interactions (scopes-and-launch-context:
// "batch and transaction requests are checked entry by entry"; RFC 6750 §3.1 insufficient_scope). A
// batch answers a refused entry 403 in its place; a transaction with one refused entry is refused
// whole and writes nothing. Conditional criteria and conditional references are searches: they need
// `s` on every type they read, and an unrestricted one (a granular `s` cannot be applied there).

import { describe, expect, it } from 'vitest'
import { call, json, ROOT } from './helpers.ts'
import { postTransaction, privateIdentifier } from './rest-helpers.ts'
import { expectInsufficientScope, tokenWith } from './scope-helpers.ts'

/** How many Patients carry `identifier` (as root). */
async function patientsWith(identifier: { system: string; value: string }): Promise<number> {
  const q = encodeURIComponent(`${identifier.system}|${identifier.value}`)
  const res = await call('GET', `/fhir/Patient?identifier=${q}&_total=accurate`, { auth: ROOT })
  return (await json(res)).total
}

async function storedPatient(extra: Record<string, unknown> = {}): Promise<string> {
  const id = `pt-${crypto.randomUUID().slice(0, 8)}`
  const res = await call('PUT', `/fhir/Patient/${id}`, {
    auth: ROOT,
    body: { resourceType: 'Patient', id, ...extra },
  })
  expect(res.status).toBe(201)
  return id
}

describe('batch entries are each checked with their own letter', () => {
  it('answers out-of-scope entries 403 insufficient_scope and runs the others', async () => {
    const auth = await tokenWith('system/Patient.crs')
    const id = await storedPatient()
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'GET', url: `Patient/${id}` } },
          { request: { method: 'GET', url: 'Observation?_count=1' } },
          { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } },
          { request: { method: 'DELETE', url: `Patient/${id}` } },
          {
            request: { method: 'PUT', url: `Patient/${id}` },
            resource: { resourceType: 'Patient', id },
          },
          { request: { method: 'GET', url: 'metadata' } },
        ],
      },
    })
    expect(res.status).toBe(200)
    const entries = (await json(res)).entry as Record<string, any>[]
    expect(entries.map((e) => e.response.status)).toEqual([
      '200 OK',
      '403 Forbidden',
      '201 Created',
      '403 Forbidden',
      '403 Forbidden',
      '200 OK',
    ])
    const refused = entries[1]!.response.outcome
    expect(refused.issue[0].code).toBe('forbidden')
    expect(refused.issue[0].diagnostics).toMatch(/Insufficient scope.*Observation/)
    // The Patient was neither deleted nor updated.
    expect(
      (await call('GET', `/fhir/Patient/${id}/_history`, { auth: ROOT }).then(json)).entry
    ).toHaveLength(1)
  })

  it('a token without any scope may still post a batch: every entry is refused', async () => {
    const auth = await tokenWith('openid')
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [{ request: { method: 'GET', url: 'Patient?_count=1' } }],
      },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).entry[0].response.status).toBe('403 Forbidden')
  })
})

describe('a transaction with one out-of-scope entry is refused whole', () => {
  it('403 insufficient_scope naming the entry’s scope, and nothing written', async () => {
    const auth = await tokenWith('system/Patient.c system/Observation.r')
    const identifier = privateIdentifier()
    const res = await postTransaction(auth, [
      {
        request: { method: 'POST', url: 'Patient' },
        resource: { resourceType: 'Patient', identifier: [identifier] },
      },
      {
        request: { method: 'POST', url: 'Observation' },
        resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } },
      },
    ])
    await expectInsufficientScope(res, 'system/Observation.c')
    expect(await patientsWith(identifier)).toBe(0)
  })

  it('checks every entry’s letter: PUT u, DELETE d, GET r and s', async () => {
    const cases: [(id: string) => Record<string, unknown>, string][] = [
      [
        (id) => ({
          request: { method: 'PUT', url: `Patient/${id}` },
          resource: { resourceType: 'Patient', id },
        }),
        'u',
      ],
      [(id) => ({ request: { method: 'DELETE', url: `Patient/${id}` } }), 'd'],
      [(id) => ({ request: { method: 'GET', url: `Patient/${id}` } }), 'r'],
      [() => ({ request: { method: 'GET', url: 'Patient?_count=1' } }), 's'],
    ]
    for (const [entryFor, letter] of cases) {
      const entry = entryFor(await storedPatient())
      const others = [...'cruds'].filter((l) => l !== letter).join('')
      const identifier = privateIdentifier()
      const res = await postTransaction(await tokenWith(`system/Patient.${others}`), [
        {
          request: { method: 'POST', url: 'Patient' },
          resource: { resourceType: 'Patient', identifier: [identifier] },
        },
        entry,
      ])
      await expectInsufficientScope(res, `system/Patient.${letter}`)
      expect(await patientsWith(identifier)).toBe(0)
      const allowed = await postTransaction(
        await tokenWith(`system/Patient.c${letter === 'c' ? '' : letter}`),
        [entry]
      )
      expect(allowed.status, await allowed.text()).toBe(200)
    }
  })

  it('a conditional reference needs s on the type it searches', async () => {
    const identifier = privateIdentifier()
    await storedPatient({ identifier: [identifier] })
    const entry = {
      request: { method: 'POST', url: 'Observation' },
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'conditional reference' },
        subject: { reference: `Patient?identifier=${identifier.system}|${identifier.value}` },
      },
    }
    await expectInsufficientScope(
      await postTransaction(await tokenWith('system/Observation.c system/Patient.r'), [entry]),
      'system/Patient.s'
    )
    const ok = await postTransaction(await tokenWith('system/Observation.c system/Patient.s'), [
      entry,
    ])
    expect(ok.status, await ok.text()).toBe(200)
  })

  it('transaction criteria need s, and a granular s is refused there', async () => {
    const identifier = privateIdentifier()
    const entry = {
      request: {
        method: 'POST',
        url: 'Patient',
        ifNoneExist: `identifier=${identifier.system}|${identifier.value}`,
      },
      resource: { resourceType: 'Patient', identifier: [identifier] },
    }
    await expectInsufficientScope(
      await postTransaction(await tokenWith('system/Patient.c'), [entry]),
      'system/Patient.s'
    )
    await expectInsufficientScope(
      await postTransaction(await tokenWith('system/Patient.c system/Patient.s?gender=female'), [
        entry,
      ]),
      'system/Patient.s'
    )
    expect(await patientsWith(identifier)).toBe(0)
  })
})

describe('conditional interactions need s on what their criteria read', () => {
  it('conditional create (If-None-Exist) needs c and s', async () => {
    const identifier = privateIdentifier()
    const send = (auth: string) =>
      call('POST', '/fhir/Patient', {
        auth,
        body: { resourceType: 'Patient', identifier: [identifier] },
        headers: { 'if-none-exist': `identifier=${identifier.system}|${identifier.value}` },
      })
    await expectInsufficientScope(
      await send(await tokenWith('system/Patient.c')),
      'system/Patient.s'
    )
    expect(await patientsWith(identifier)).toBe(0)
    expect((await send(await tokenWith('system/Patient.cs'))).status).toBe(201)
  })

  it('conditional update needs u and s', async () => {
    const identifier = privateIdentifier()
    const send = (auth: string) =>
      call('PUT', `/fhir/Patient?identifier=${identifier.system}|${identifier.value}`, {
        auth,
        body: { resourceType: 'Patient', identifier: [identifier] },
      })
    await expectInsufficientScope(
      await send(await tokenWith('system/Patient.cu')),
      'system/Patient.s'
    )
    await expectInsufficientScope(
      await send(await tokenWith('system/Patient.s')),
      'system/Patient.u'
    )
    expect((await send(await tokenWith('system/Patient.us'))).status).toBe(201)
  })

  it('conditional delete needs d and s', async () => {
    const identifier = privateIdentifier()
    await storedPatient({ identifier: [identifier] })
    const send = (auth: string) =>
      call('DELETE', `/fhir/Patient?identifier=${identifier.system}|${identifier.value}`, { auth })
    await expectInsufficientScope(
      await send(await tokenWith('system/Patient.d')),
      'system/Patient.s'
    )
    expect(await patientsWith(identifier)).toBe(1)
    expect((await send(await tokenWith('system/Patient.ds'))).status).toBe(204)
    expect(await patientsWith(identifier)).toBe(0)
  })

  it('criteria that chain into another type need s on that type', async () => {
    const send = (auth: string) =>
      call('DELETE', '/fhir/Observation?subject:Patient.name=nobody-at-all', { auth })
    await expectInsufficientScope(
      await send(await tokenWith('system/Observation.ds')),
      'system/Patient.s'
    )
    expect((await send(await tokenWith('system/Observation.ds system/Patient.s'))).status).toBe(204)
  })

  it('a granular s on the searched type is refused rather than applied', async () => {
    const identifier = privateIdentifier()
    await storedPatient({ identifier: [identifier], gender: 'male' })
    const auth = await tokenWith('system/Patient.d system/Patient.rs?gender=female')
    await expectInsufficientScope(
      await call('DELETE', `/fhir/Patient?identifier=${identifier.system}|${identifier.value}`, {
        auth,
      }),
      'system/Patient.s'
    )
    expect(await patientsWith(identifier)).toBe(1)
  })
})

// Writes under `patient/` scopes (SMART App Launch 2, scopes-and-launch-context.html: `patient/`
// scopes grant access to the patient in context's compartment; R4 compartmentdefinition-patient).
// A create, update, patch or delete with a `patient/<Type>.c|u|d` grant is allowed when the resource
// it writes is in the compartment: the new version (no moving a resource out) and the current stored
// one (no taking another patient's resource in). A Patient is never created this way; the patient
// itself may be updated. Outside: 403 insufficient_scope, nothing written. Bundle entries alike;
// conditional forms too, once their criteria (a search: `s` without restriction) are allowed.

import { beforeAll, describe, expect, it } from 'vitest'
import { call, json, ROOT, roundTrips } from './helpers.ts'
import { patchBinary, postTransaction } from './rest-helpers.ts'
import { patientToken, patientWorld } from './patient-scope-helpers.ts'
import { expectInsufficientScope } from './scope-helpers.ts'

const w = patientWorld('pw')
const { a, b, tag } = w
const pa = { reference: `Patient/${a}` }
const pb = { reference: `Patient/${b}` }

let auth: string

beforeAll(async () => {
  await tag.put(...w.resources)
  auth = await patientToken('patient/*.cruds', a)
})

/** The current version of a resource, read as root (null when it is absent or deleted). */
async function stored(type: string, id: string): Promise<Record<string, any> | null> {
  const res = await call('GET', `/fhir/${type}/${id}`, { auth: ROOT })
  if (res.status === 404 || res.status === 410) return null
  expect(res.status).toBe(200)
  return json(res)
}

/** A fresh Observation (not yet stored) with `extra`. */
function obs(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: w.id(`${name}-${crypto.randomUUID().slice(0, 6)}`),
    status: 'final',
    code: { text: name },
    ...extra,
  }
}

/** Stores `resource` as root and returns its id. */
async function seeded(resource: Record<string, unknown>): Promise<string> {
  await tag.put(resource as Record<string, unknown> & { resourceType: string; id: string })
  return resource.id as string
}

const jsonPatch = (ops: unknown[]) => ({
  body: JSON.stringify(ops),
  headers: { 'content-type': 'application/json-patch+json' },
})

describe('create in the compartment (SMART App Launch 2: patient/Observation.c)', () => {
  it('an Observation whose subject is the patient is created (201, minimal answer)', async () => {
    const { id: _id, ...body } = obs('new', { subject: pa })
    const res = await call('POST', '/fhir/Observation', { auth, body })
    expect(res.status, await res.clone().text()).toBe(201)
    const location = res.headers.get('location')!
    const id = location.split('/Observation/')[1]!.split('/')[0]!
    expect((await stored('Observation', id))!.subject).toEqual(pa)
  })

  it('an Observation performed by the patient on another subject is in it too', async () => {
    const { id: _id, ...body } = obs('by-a', { subject: pb, performer: [pa] })
    expect((await call('POST', '/fhir/Observation', { auth, body })).status).toBe(201)
  })

  it('an Observation of another patient, or of nobody, is 403', async () => {
    for (const extra of [{ subject: pb }, {}, { subject: { reference: `Group/${a}` } }]) {
      const { id: _id, ...body } = obs('out', extra)
      await expectInsufficientScope(
        await call('POST', '/fhir/Observation', { auth, body }),
        'system/Observation.c'
      )
    }
  })

  it('a Patient is never created (the patient already exists)', async () => {
    const body = { resourceType: 'Patient', link: [{ other: pa, type: 'seealso' }] }
    await expectInsufficientScope(
      await call('POST', '/fhir/Patient', { auth, body }),
      'system/Patient.c'
    )
    const id = w.id(`new-pt-${crypto.randomUUID().slice(0, 6)}`)
    await expectInsufficientScope(
      await call('PUT', `/fhir/Patient/${id}`, { auth, body: { ...body, id } }),
      'system/Patient.u'
    )
    expect(await stored('Patient', id)).toBeNull()
  })

  it('the letter is still needed: patient/Observation.rs does not create', async () => {
    const reader = await patientToken('patient/Observation.rs', a)
    const { id: _id, ...body } = obs('new', { subject: pa })
    await expectInsufficientScope(
      await call('POST', '/fhir/Observation', { auth: reader, body }),
      'system/Observation.c'
    )
  })
})

describe('update checks the current and the new version (no moving in or out)', () => {
  it("the patient's Observation is updated", async () => {
    const id = await seeded(obs('upd', { subject: pa }))
    const res = await call('PUT', `/fhir/Observation/${id}`, {
      auth,
      body: obs('upd', { id, subject: pa, status: 'amended' }),
    })
    expect(res.status, await res.clone().text()).toBe(200)
    expect((await stored('Observation', id))!.status).toBe('amended')
  })

  it('moving it out of the compartment is 403 and changes nothing', async () => {
    const id = await seeded(obs('out', { subject: pa }))
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation/${id}`, {
        auth,
        body: { ...obs('out'), id, subject: pb },
      }),
      'system/Observation.u'
    )
    expect((await stored('Observation', id))!.subject).toEqual(pa)
  })

  it("taking another patient's Observation in is 403 and changes nothing", async () => {
    const id = await seeded(obs('in', { subject: pb }))
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation/${id}`, {
        auth,
        body: { ...obs('in'), id, subject: pa },
      })
    )
    expect((await stored('Observation', id))!.subject).toEqual(pb)
  })

  it("a deleted Observation of another patient is not reused for one of the patient's", async () => {
    const id = await seeded(obs('del-b', { subject: pb }))
    expect((await call('DELETE', `/fhir/Observation/${id}`, { auth: ROOT })).status).toBe(204)
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation/${id}`, { auth, body: { ...obs('x'), id, subject: pa } })
    )
    expect(await stored('Observation', id)).toBeNull()
  })

  it('update as create at a new id: in the compartment 201, outside 403', async () => {
    const inside = obs('uc', { subject: pa })
    const res = await call('PUT', `/fhir/Observation/${inside.id}`, { auth, body: inside })
    expect(res.status).toBe(201)
    const outside = obs('uc', { subject: pb })
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation/${outside.id}`, { auth, body: outside })
    )
    expect(await stored('Observation', outside.id as string)).toBeNull()
  })

  it('the Patient itself is updated; another Patient is 403', async () => {
    const self = (await stored('Patient', a))!
    const res = await call('PUT', `/fhir/Patient/${a}`, {
      auth,
      body: { ...self, birthDate: '1970-01-01' },
    })
    expect(res.status, await res.clone().text()).toBe(200)
    const other = (await stored('Patient', b))!
    await expectInsufficientScope(
      await call('PUT', `/fhir/Patient/${b}`, { auth, body: { ...other, birthDate: '1970-01-01' } })
    )
    expect((await stored('Patient', b))!.birthDate).toBeUndefined()
  })

  it('a Patient that links to the patient is in its compartment: kept linked 200, unlinked 403', async () => {
    const id = await seeded({
      resourceType: 'Patient',
      id: w.id(`lk-${crypto.randomUUID().slice(0, 6)}`),
      link: [{ other: pa, type: 'seealso' }],
    })
    const linked = (await stored('Patient', id))!
    expect(
      (await call('PUT', `/fhir/Patient/${id}`, { auth, body: { ...linked, gender: 'other' } }))
        .status
    ).toBe(200)
    const { link: _link, ...unlinked } = linked
    await expectInsufficientScope(
      await call('PUT', `/fhir/Patient/${id}`, { auth, body: unlinked })
    )
  })

  it('a system/ scope without restriction lifts the compartment for its letter only', async () => {
    const wider = await patientToken('patient/Observation.cruds system/Observation.u', a)
    const id = await seeded(obs('sys', { subject: pb }))
    const res = await call('PUT', `/fhir/Observation/${id}`, {
      auth: wider,
      body: { ...obs('sys'), id, subject: pb, status: 'amended' },
    })
    expect(res.status).toBe(200)
    await expectInsufficientScope(await call('DELETE', `/fhir/Observation/${id}`, { auth: wider }))
  })
})

describe('cost (the checks are in memory, on rows the write reads anyway)', () => {
  it('an update under patient/ scopes makes the round trips of an unrestricted one', async () => {
    const open = await patientToken('system/Observation.cruds', a)
    const id = await seeded(obs('cost', { subject: pa }))
    const write = (status: string) => ({
      method: 'PUT',
      body: { ...obs('cost'), id, subject: pa, status },
    })
    await roundTrips(`/fhir/Observation/${id}`, open, write('amended'))
    await roundTrips(`/fhir/Observation/${id}`, auth, write('final'))
    const unrestricted = await roundTrips(`/fhir/Observation/${id}`, open, write('amended'))
    const limited = await roundTrips(`/fhir/Observation/${id}`, auth, write('final'))
    expect(limited).toBe(unrestricted)
  })
})

describe('patch checks the current and the patched version', () => {
  it("the patient's Observation is patched; patching its subject away is 403", async () => {
    const id = await seeded(obs('pt', { subject: pa }))
    const ok = await call('PATCH', `/fhir/Observation/${id}`, {
      auth,
      ...jsonPatch([{ op: 'replace', path: '/status', value: 'amended' }]),
    })
    expect(ok.status, await ok.clone().text()).toBe(200)
    await expectInsufficientScope(
      await call('PATCH', `/fhir/Observation/${id}`, {
        auth,
        ...jsonPatch([{ op: 'replace', path: '/subject', value: pb }]),
      })
    )
    expect((await stored('Observation', id))!.subject).toEqual(pa)
  })

  it("patching another patient's Observation in is 403", async () => {
    const id = await seeded(obs('pt-b', { subject: pb }))
    await expectInsufficientScope(
      await call('PATCH', `/fhir/Observation/${id}`, {
        auth,
        ...jsonPatch([{ op: 'replace', path: '/subject', value: pa }]),
      })
    )
    expect((await stored('Observation', id))!.subject).toEqual(pb)
  })
})

describe('delete checks the current version', () => {
  it("the patient's Observation is deleted; another patient's is 403", async () => {
    const mine = await seeded(obs('d', { subject: pa }))
    expect((await call('DELETE', `/fhir/Observation/${mine}`, { auth })).status).toBe(204)
    expect(await stored('Observation', mine)).toBeNull()
    const theirs = await seeded(obs('d', { subject: pb }))
    await expectInsufficientScope(
      await call('DELETE', `/fhir/Observation/${theirs}`, { auth }),
      'system/Observation.d'
    )
    expect(await stored('Observation', theirs)).not.toBeNull()
  })

  it('deleting what does not exist is the usual 204 no-op', async () => {
    expect((await call('DELETE', `/fhir/Observation/${w.id('none')}`, { auth })).status).toBe(204)
  })
})

describe('Bundles: every write entry is checked on its own', () => {
  it('a batch answers each entry: in 201/200/204, out 403', async () => {
    const mine = await seeded(obs('bm', { subject: pa }))
    const theirs = await seeded(obs('bt', { subject: pb }))
    const gone = await seeded(obs('bg', { subject: pa }))
    const { id: _id, ...fresh } = obs('bn', { subject: pa })
    const res = await call('POST', '/fhir', {
      auth,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { request: { method: 'POST', url: 'Observation' }, resource: fresh },
          { request: { method: 'POST', url: 'Observation' }, resource: { ...fresh, subject: pb } },
          {
            request: { method: 'PUT', url: `Observation/${mine}` },
            resource: { ...obs('bm'), id: mine, subject: pb },
          },
          {
            request: { method: 'PATCH', url: `Observation/${theirs}` },
            resource: patchBinary([{ op: 'replace', path: '/subject', value: pa }]),
          },
          { request: { method: 'DELETE', url: `Observation/${theirs}` } },
          { request: { method: 'DELETE', url: `Observation/${gone}` } },
        ],
      },
    })
    expect(res.status).toBe(200)
    const entries = (await json(res)).entry as Record<string, any>[]
    expect(entries.map((e) => e.response.status)).toEqual([
      '201 Created',
      '403 Forbidden',
      '403 Forbidden',
      '403 Forbidden',
      '403 Forbidden',
      '204 No Content',
    ])
    expect((await stored('Observation', mine))!.subject).toEqual(pa)
    expect((await stored('Observation', theirs))!.subject).toEqual(pb)
    expect(await stored('Observation', gone)).toBeNull()
  })

  it('a transaction inside the compartment commits; one entry outside refuses it whole', async () => {
    const mine = await seeded(obs('tm', { subject: pa }))
    const theirs = await seeded(obs('tt', { subject: pb }))
    const { id: _id, ...fresh } = obs('tn', { subject: pa })
    const inside = [
      {
        fullUrl: 'urn:uuid:5b1a7c1e-0000-4000-8000-000000000001',
        request: { method: 'POST', url: 'Observation' },
        resource: fresh,
      },
      {
        request: { method: 'PUT', url: `Observation/${mine}` },
        resource: { ...obs('tm'), id: mine, subject: pa, status: 'amended' },
      },
    ]
    const ok = await postTransaction(auth, inside)
    expect(ok.status, await ok.clone().text()).toBe(200)
    expect((await stored('Observation', mine))!.status).toBe('amended')

    const refused = await postTransaction(auth, [
      {
        request: { method: 'PUT', url: `Observation/${mine}` },
        resource: { ...obs('tm'), id: mine, subject: pa, status: 'cancelled' },
      },
      { request: { method: 'DELETE', url: `Observation/${theirs}` } },
    ])
    await expectInsufficientScope(refused, 'system/Observation.d')
    expect((await stored('Observation', mine))!.status).toBe('amended')
    expect(await stored('Observation', theirs)).not.toBeNull()
  })

  it('a transaction that would create a Patient is refused whole', async () => {
    const { id: _id, ...fresh } = obs('tp', { subject: pa })
    await expectInsufficientScope(
      await postTransaction(auth, [
        { request: { method: 'POST', url: 'Observation' }, resource: fresh },
        { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } },
      ]),
      'system/Patient.c'
    )
  })
})

describe('conditional writes', () => {
  const identifier = () => ({ system: `urn:test:pw:${crypto.randomUUID()}`, value: 'x' })
  const criteria = (i: { system: string; value: string }) =>
    `identifier=${encodeURIComponent(`${i.system}|${i.value}`)}`

  it('under patient/ scopes alone their criteria are refused (a restricted search cannot match exactly)', async () => {
    const i = identifier()
    const { id: _id, ...body } = obs('c', { subject: pa, identifier: [i] })
    await expectInsufficientScope(
      await call('POST', '/fhir/Observation', {
        auth,
        body,
        headers: { 'if-none-exist': criteria(i) },
      }),
      'system/Observation.s'
    )
    await expectInsufficientScope(
      await call('PUT', `/fhir/Observation?${criteria(i)}`, { auth, body }),
      'system/Observation.s'
    )
    await expectInsufficientScope(
      await call('DELETE', `/fhir/Observation?${criteria(i)}`, { auth }),
      'system/Observation.s'
    )
  })

  describe('with an unrestricted search scope, the resource they resolve to is checked', () => {
    let searcher: string
    beforeAll(async () => {
      searcher = await patientToken('patient/Observation.cud system/Observation.s', a)
    })

    it('conditional create: in the compartment 201, outside 403', async () => {
      const i = identifier()
      const { id: _id, ...body } = obs('cc', { subject: pa, identifier: [i] })
      const headers = { 'if-none-exist': criteria(i) }
      const res = await call('POST', '/fhir/Observation', { auth: searcher, body, headers })
      expect(res.status).toBe(201)
      const j = identifier()
      await expectInsufficientScope(
        await call('POST', '/fhir/Observation', {
          auth: searcher,
          body: { ...body, identifier: [j], subject: pb },
          headers: { 'if-none-exist': criteria(j) },
        })
      )
    })

    it("conditional update of the patient's 200; of another patient's 403; moving out 403", async () => {
      const i = identifier()
      const mine = await seeded(obs('cu', { subject: pa, identifier: [i] }))
      const body = { ...obs('cu'), subject: pa, identifier: [i], status: 'amended' }
      delete (body as Record<string, unknown>).id
      const ok = await call('PUT', `/fhir/Observation?${criteria(i)}`, { auth: searcher, body })
      expect(ok.status, await ok.clone().text()).toBe(200)
      expect((await stored('Observation', mine))!.status).toBe('amended')
      await expectInsufficientScope(
        await call('PUT', `/fhir/Observation?${criteria(i)}`, {
          auth: searcher,
          body: { ...body, subject: pb },
        })
      )
      const j = identifier()
      const theirs = await seeded(obs('cu', { subject: pb, identifier: [j] }))
      await expectInsufficientScope(
        await call('PUT', `/fhir/Observation?${criteria(j)}`, {
          auth: searcher,
          body: { ...body, identifier: [j], subject: pa },
        })
      )
      expect((await stored('Observation', theirs))!.subject).toEqual(pb)
    })

    it("conditional patch and delete of another patient's are 403; of the patient's pass", async () => {
      const j = identifier()
      const theirs = await seeded(obs('cd', { subject: pb, identifier: [j] }))
      await expectInsufficientScope(
        await call('PATCH', `/fhir/Observation?${criteria(j)}`, {
          auth: searcher,
          ...jsonPatch([{ op: 'replace', path: '/status', value: 'amended' }]),
        })
      )
      await expectInsufficientScope(
        await call('DELETE', `/fhir/Observation?${criteria(j)}`, { auth: searcher })
      )
      expect((await stored('Observation', theirs))!.status).toBe('final')
      const i = identifier()
      const mine = await seeded(obs('cd', { subject: pa, identifier: [i] }))
      const patched = await call('PATCH', `/fhir/Observation?${criteria(i)}`, {
        auth: searcher,
        ...jsonPatch([{ op: 'replace', path: '/status', value: 'amended' }]),
      })
      expect(patched.status).toBe(200)
      const deleted = await call('DELETE', `/fhir/Observation?${criteria(i)}`, { auth: searcher })
      expect(deleted.status).toBe(204)
      expect(await stored('Observation', mine)).toBeNull()
    })

    it('a conditional update in a transaction resolving to another patient refuses it whole', async () => {
      const j = identifier()
      const theirs = await seeded(obs('ct', { subject: pb, identifier: [j] }))
      const body = { ...obs('ct'), subject: pa, identifier: [j] }
      delete (body as Record<string, unknown>).id
      await expectInsufficientScope(
        await postTransaction(searcher, [
          { request: { method: 'PUT', url: `Observation?${criteria(j)}` }, resource: body },
        ])
      )
      expect((await stored('Observation', theirs))!.subject).toEqual(pb)
    })
  })
})

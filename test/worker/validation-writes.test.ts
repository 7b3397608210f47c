// Every write is validated against the R4 base definitions before anything is written (issue 13,
// docs/validation.md): create, update, patch result, batch and transaction entries are refused with
// 400 and an OperationOutcome naming every problem by its FHIRPath; a transaction is refused whole
// and says which entry; a batch refuses only the bad entry.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { call, json, ROOT, uniqueId } from './helpers.ts'

const BROKEN = {
  resourceType: 'Patient',
  birthDate: '2020-13-45',
  gender: ['male'],
  birthdate: 'x',
}
const stored = async (type: string, id: string) =>
  env.DB.prepare('SELECT 1 FROM resource WHERE type = ? AND id = ?').bind(type, id).first()
const expressions = (outcome: Record<string, any>) =>
  outcome.issue.map((i: { expression: string[] }) => i.expression.join(' '))

describe('single writes (R4 http.html#create, #update, #patch)', () => {
  it('a create with three problems is 400 naming all three, and nothing is stored', async () => {
    const res = await call('POST', '/fhir/Patient', { auth: ROOT, body: BROKEN })
    expect(res.status).toBe(400)
    expect(expressions(await json(res)).sort()).toEqual([
      'Patient.birthDate',
      'Patient.birthdate',
      'Patient.gender',
    ])
  })

  it('an update that would make the resource invalid is 400 and keeps the stored version', async () => {
    const id = uniqueId('val-up')
    const ok = await call('PUT', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id, gender: 'female' },
    })
    expect(ok.status).toBe(201)
    const bad = await call('PUT', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: { resourceType: 'Patient', id, gender: 'F' },
    })
    expect(bad.status).toBe(400)
    expect((await json(bad)).issue[0]).toMatchObject({
      code: 'code-invalid',
      expression: ['Patient.gender'],
    })
    expect((await json(await call('GET', `/fhir/Patient/${id}`, { auth: ROOT }))).gender).toBe(
      'female'
    )
  })

  it('a patch whose result is invalid is 400 (the patched resource is what is validated)', async () => {
    const id = uniqueId('val-patch')
    await call('PUT', `/fhir/Patient/${id}`, { auth: ROOT, body: { resourceType: 'Patient', id } })
    const res = await call('PATCH', `/fhir/Patient/${id}`, {
      auth: ROOT,
      body: [{ op: 'add', path: '/birthDate', value: '1970-02-30' }],
      headers: { 'content-type': 'application/json-patch+json' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual(['Patient.birthDate'])
  })

  it('1e999 is refused rather than stored as null', async () => {
    const res = await call('POST', '/fhir/Observation', {
      auth: ROOT,
      body: '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e999}}',
      headers: { 'content-type': 'application/fhir+json' },
    })
    expect(res.status).toBe(400)
    expect((await json(res)).issue[0].expression).toEqual([
      'Observation.value.ofType(Quantity).value',
    ])
  })
})

describe('Bundles (R4 http.html#transaction)', () => {
  it('a transaction with one invalid entry is refused whole, naming the entry; nothing is written', async () => {
    const good = uniqueId('val-tx')
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          {
            resource: { resourceType: 'Patient', id: good },
            request: { method: 'PUT', url: `Patient/${good}` },
          },
          { resource: BROKEN, request: { method: 'POST', url: 'Patient' } },
        ],
      },
    })
    expect(res.status).toBe(400)
    const outcome = await json(res)
    expect(
      outcome.issue.every((i: { expression: string[] }) => i.expression[0] === 'Bundle.entry[1]')
    ).toBe(true)
    expect(expressions(outcome)).toContain('Bundle.entry[1] Patient.birthDate')
    expect(await stored('Patient', good)).toBeNull()
  })

  it('a batch refuses only the invalid entry', async () => {
    const good = uniqueId('val-batch')
    const res = await call('POST', '/fhir', {
      auth: ROOT,
      body: {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          {
            resource: { resourceType: 'Patient', id: good },
            request: { method: 'PUT', url: `Patient/${good}` },
          },
          { resource: BROKEN, request: { method: 'POST', url: 'Patient' } },
        ],
      },
    })
    expect(res.status).toBe(200)
    const bundle = await json(res)
    expect(bundle.entry[0].response.status).toMatch(/^201/)
    expect(bundle.entry[1].response.status).toMatch(/^400/)
    expect(bundle.entry[1].response.outcome.issue.length).toBe(3)
    expect(await stored('Patient', good)).not.toBeNull()
  })
})

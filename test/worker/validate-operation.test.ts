// The $validate operation (R4 resource-operation-validate.html): 200 with an OperationOutcome naming
// every problem with its FHIRPath location, nothing written, authorised as its own operation
// (FhirValidate) and, for tokens, the create letter.

import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import {
  allowedClient,
  basic,
  bearerFor,
  call,
  json,
  registerClient,
  ROOT,
  uniqueId,
} from './helpers.ts'

const validate = (path: string, body: unknown, auth = ROOT) =>
  call('POST', path, { auth, body, headers: { 'content-type': 'application/fhir+json' } })

describe('POST [base]/[type]/$validate', () => {
  it('answers every problem at once, each with its expression, and writes nothing', async () => {
    const id = uniqueId('val')
    const res = await validate('/fhir/Patient/$validate', {
      resourceType: 'Patient',
      id,
      birthDate: '2020-13-45',
      gender: ['male'],
      birthdate: '2020-01-01',
    })
    expect(res.status).toBe(200)
    const outcome = await json(res)
    expect(outcome.resourceType).toBe('OperationOutcome')
    const at = outcome.issue.map((i: { expression: string[] }) => i.expression[0])
    expect(at).toEqual(
      expect.arrayContaining(['Patient.birthDate', 'Patient.gender', 'Patient.birthdate'])
    )
    expect(outcome.issue.every((i: { severity: string }) => i.severity === 'error')).toBe(true)
    const stored = await env.DB.prepare('SELECT 1 FROM resource WHERE type = ? AND id = ?')
      .bind('Patient', id)
      .first()
    expect(stored).toBeNull()
  })

  it('answers one informational issue for a valid resource', async () => {
    const res = await validate('/fhir/Observation/$validate', {
      resourceType: 'Observation',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      valueQuantity: { value: 6.1, unit: '%' },
    })
    expect(res.status).toBe(200)
    expect((await json(res)).issue).toEqual([
      expect.objectContaining({ severity: 'information', code: 'informational' }),
    ])
  })

  it('takes Parameters with a resource parameter, and says when the type is not the path’s', async () => {
    const body = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { resourceType: 'Observation', code: { text: 'x' } } },
        { name: 'mode', valueCode: 'create' },
      ],
    }
    const outcome = await json(await validate('/fhir/Patient/$validate', body))
    expect(outcome.issue[0]).toMatchObject({
      code: 'invalid',
      expression: ['Resource.resourceType'],
    })
    expect(outcome.issue).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'required', expression: ['Observation.status'] }),
      ])
    )
  })

  it('refuses profile validation (400 not-supported) and a body that is no resource (400)', async () => {
    const profiled = await validate('/fhir/Patient/$validate', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'resource', resource: { resourceType: 'Patient' } },
        {
          name: 'profile',
          valueUri: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient',
        },
      ],
    })
    expect(profiled.status).toBe(400)
    expect((await json(profiled)).issue[0].code).toBe('not-supported')
    expect((await validate('/fhir/Patient/$validate', [1, 2])).status).toBe(400)
  })
})

describe('POST [base]/$validate', () => {
  it('validates a resource of any type', async () => {
    const outcome = await json(
      await validate('/fhir/$validate', { resourceType: 'Bundle', type: 'nonsense' })
    )
    expect(outcome.issue).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'code-invalid', expression: ['Bundle.type'] }),
      ])
    )
  })
})

describe('authorisation of $validate', () => {
  it('is its own operation: a client allowed only FhirCreate is refused; one allowed FhirValidate may', async () => {
    const id = uniqueId('validator')
    await registerClient(id, 'pw-123456')
    const auth = basic(id, 'pw-123456')
    const body = { resourceType: 'Patient' }
    expect((await validate('/fhir/Patient/$validate', body, auth)).status).toBe(403)
    const policy = await call('PUT', `/AccessPolicy/${id}-validate`, {
      auth: ROOT,
      body: {
        engine: 'matcho',
        link: [{ resourceType: 'Client', id }],
        matcho: { operation: { id: 'FhirValidate' } },
      },
    })
    expect(policy.status).toBe(201)
    expect((await validate('/fhir/Patient/$validate', body, auth)).status).toBe(200)
  })

  it('needs the create letter of a token (SMART scopes)', async () => {
    const { id } = await allowedClient('validate-token')
    const reader = await bearerFor(id, 'system/Patient.rs')
    const creator = await bearerFor(id, 'system/Patient.c')
    expect(
      (await validate('/fhir/Patient/$validate', { resourceType: 'Patient' }, reader.auth)).status
    ).toBe(403)
    expect(
      (await validate('/fhir/Patient/$validate', { resourceType: 'Patient' }, creator.auth)).status
    ).toBe(200)
  })
})

// End to end against a real `wrangler dev` (issue 5's proof): a client limited by a `matcho`
// AccessPolicy to GET on Patient and Observation can read and search those, gets 403 for a POST
// or for Encounter, and the root client can still do anything (docs/aidbox.md#authorisation,
// docs/access-policies.md#matcho).

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { basicHeader, startIsolatedDev, type DevServer } from '../../scripts/local.ts'

const ROOT = { id: 'e2e-root', secret: 'e2e-root-secret-0123456789' }
const CLIENT = { id: 'e2e-reader', secret: 'e2e-reader-secret' }

let server: DevServer

beforeAll(async () => {
  server = await startIsolatedDev(ROOT)
})

afterAll(async () => {
  await server?.stop()
})

const root = basicHeader(ROOT.id, ROOT.secret)
const reader = basicHeader(CLIENT.id, CLIENT.secret)

function send(
  method: string,
  url: string,
  authorization: string,
  body?: unknown
): Promise<Response> {
  return fetch(`${server.url}${url}`, {
    method,
    headers: {
      authorization,
      'content-type': 'application/fhir+json',
      accept: 'application/fhir+json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
}

describe('a client limited by matcho to GET on Patient and Observation', () => {
  it('is set up by the root client: resources, the Client and its AccessPolicy', async () => {
    for (const [type, body] of [
      ['Patient', { resourceType: 'Patient', id: 'e2e-pt', name: [{ family: 'Doe' }] }],
      [
        'Observation',
        { resourceType: 'Observation', id: 'e2e-obs', status: 'final', code: { text: 'x' } },
      ],
      [
        'Encounter',
        { resourceType: 'Encounter', id: 'e2e-enc', status: 'finished', class: { code: 'AMB' } },
      ],
    ] as const) {
      expect((await send('PUT', `/fhir/${type}/${body.id}`, root, body)).status).toBe(201)
    }
    const client = await send('PUT', `/Client/${CLIENT.id}`, root, {
      secret: CLIENT.secret,
      grant_types: ['basic'],
    })
    expect(client.status).toBe(201)
    const policy = await send('PUT', `/AccessPolicy/${CLIENT.id}-read`, root, {
      engine: 'matcho',
      link: [{ reference: `Client/${CLIENT.id}` }],
      matcho: {
        'request-method': 'get',
        params: { 'resource/type': { $enum: ['Patient', 'Observation'] } },
      },
    })
    expect(policy.status).toBe(201)
  })

  it('reads and searches Patient and Observation', async () => {
    const patient = await send('GET', '/fhir/Patient/e2e-pt', reader)
    expect(patient.status).toBe(200)
    expect(await patient.json()).toMatchObject({ resourceType: 'Patient', id: 'e2e-pt' })
    expect((await send('GET', '/fhir/Observation/e2e-obs', reader)).status).toBe(200)
    const search = await send('GET', '/fhir/Observation?_id=e2e-obs', reader)
    expect(search.status).toBe(200)
    expect(((await search.json()) as { entry: unknown[] }).entry).toHaveLength(1)
  })

  it('gets 403 forbidden for a POST, a PUT, and any request on Encounter', async () => {
    const post = await send('POST', '/fhir/Patient', reader, { resourceType: 'Patient' })
    expect(post.status).toBe(403)
    expect(((await post.json()) as { issue: { code: string }[] }).issue[0]!.code).toBe('forbidden')
    expect(
      (await send('PUT', '/fhir/Patient/e2e-pt', reader, { resourceType: 'Patient', id: 'e2e-pt' }))
        .status
    ).toBe(403)
    expect((await send('GET', '/fhir/Encounter/e2e-enc', reader)).status).toBe(403)
    expect((await send('GET', '/fhir/Encounter', reader)).status).toBe(403)
    expect((await send('GET', `/AccessPolicy/${CLIENT.id}-read`, reader)).status).toBe(403)
  })

  it('leaves the root client able to do anything', async () => {
    expect((await send('GET', '/fhir/Encounter/e2e-enc', root)).status).toBe(200)
    expect((await send('POST', '/fhir/Patient', root, { resourceType: 'Patient' })).status).toBe(
      201
    )
    expect((await send('GET', `/AccessPolicy/${CLIENT.id}-read`, root)).status).toBe(200)
  })

  it('answers 401 to anonymous and wrong-secret callers, never evaluating them as the client', async () => {
    expect((await fetch(`${server.url}/fhir/Patient/e2e-pt`)).status).toBe(401)
    expect(
      (await send('GET', '/fhir/Patient/e2e-pt', basicHeader(CLIENT.id, 'wrong'))).status
    ).toBe(401)
  })
})

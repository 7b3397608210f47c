// The User admin API (docs/users.md, issue 12 "Users"): PUT/GET/DELETE /User/:id as for Clients,
// passwords stored only as a PBKDF2 hash and never answered (not even the hash, stricter than
// Aidbox), validation naming the field, and the email index that login by email reads.

import { env } from 'cloudflare:test'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseSecretHash, verifySecret } from '../../src/lib/secrets.ts'
import { allowedClient, basic, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'
import { registerUser } from './user-helpers.ts'

const stored = async (id: string) =>
  JSON.parse((await env.AUTH.get(`User/${id}`, 'text')) ?? 'null') as Record<string, any> | null

afterEach(() => {
  vi.restoreAllMocks()
})

describe('User admin API (Aidbox-style PUT/GET/DELETE /User/:id)', () => {
  it('PUT creates (201) then replaces (200); GET answers it; DELETE answers it, then 404 and 204', async () => {
    const id = uniqueId('user')
    const first = await call('PUT', `/User/${id}`, {
      auth: ROOT,
      body: { email: `${id}@example.org`, password: 'pw-1', name: { givenName: 'Ann' } },
    })
    expect(first.status).toBe(201)
    expect(await json(first)).toMatchObject({
      resourceType: 'User',
      id,
      email: `${id}@example.org`,
      name: { givenName: 'Ann' },
    })
    const second = await call('PUT', `/User/${id}`, {
      auth: ROOT,
      body: { email: `${id}@example.org`, active: false, data: { patient: 'pt-1' } },
    })
    expect(second.status).toBe(200)
    const read = await call('GET', `/User/${id}`, { auth: ROOT })
    expect(read.status).toBe(200)
    expect(await json(read)).toMatchObject({ id, active: false, data: { patient: 'pt-1' } })
    const removed = await call('DELETE', `/User/${id}`, { auth: ROOT })
    expect(removed.status).toBe(200)
    expect(await json(removed)).toMatchObject({ resourceType: 'User', id })
    expect((await call('GET', `/User/${id}`, { auth: ROOT })).status).toBe(404)
    expect((await call('DELETE', `/User/${id}`, { auth: ROOT })).status).toBe(204)
    expect(await stored(id)).toBeNull()
  })

  it('stores the password only as a salted PBKDF2 hash that verifies it (100,000 iterations)', async () => {
    const id = uniqueId('user')
    await registerUser(id, { password: 'correct horse' })
    const hash = (await stored(id))?.password as string
    expect(hash).toMatch(/^pbkdf2-sha256\$100000\$/)
    expect(hash).not.toContain('correct horse')
    expect(await verifySecret('correct horse', parseSecretHash(hash))).toBe(true)
    expect(await verifySecret('wrong horse', parseSecretHash(hash))).toBe(false)
  })

  it('never answers the password, not even its hash: PUT answer, GET and DELETE answer', async () => {
    const id = uniqueId('user')
    const put = await call('PUT', `/User/${id}`, { auth: ROOT, body: { password: 'pw-secret' } })
    const get = await call('GET', `/User/${id}`, { auth: ROOT })
    const del = await call('DELETE', `/User/${id}`, { auth: ROOT })
    for (const res of [put, get, del]) {
      const text = await res.text()
      expect(text).not.toContain('password')
      expect(text).not.toContain('pbkdf2')
      expect(text).not.toContain('pw-secret')
    }
  })

  it('keeps the stored hash when a PUT carries no password, and replaces it when one is given', async () => {
    const id = uniqueId('user')
    await registerUser(id, { password: 'first' })
    const hash = (await stored(id))?.password
    await registerUser(id, { email: `${id}@example.org` })
    expect((await stored(id))?.password).toBe(hash)
    await registerUser(id, { password: 'second' })
    const next = (await stored(id))?.password as string
    expect(next).not.toBe(hash)
    expect(await verifySecret('second', parseSecretHash(next))).toBe(true)
  })

  it('keeps meta.created across updates (tokens older than the User are not its own)', async () => {
    const id = uniqueId('user')
    const created = (await registerUser(id, {})).meta.created
    expect(Date.parse(created)).not.toBeNaN()
    expect((await registerUser(id, { active: true })).meta.created).toBe(created)
  })

  it('never writes the password to the logs', async () => {
    const lines: string[] = []
    for (const level of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      vi.spyOn(console, level).mockImplementation((...args) => void lines.push(args.join(' ')))
    }
    const id = uniqueId('user')
    await registerUser(id, { password: 'pw-never-logged' })
    await call('PUT', `/User/${id}`, { auth: ROOT, body: { password: 'pw-never-logged', x: [] } })
    await call('GET', `/User/${id}`, { auth: ROOT })
    expect(lines.join('\n')).not.toContain('pw-never-logged')
    expect(lines.join('\n')).not.toContain('pbkdf2')
  })

  it('is 401 for anonymous callers, 403 for a client without a policy, allowed by an allow policy', async () => {
    const id = uniqueId('user')
    expect((await call('GET', `/User/${id}`)).status).toBe(401)
    const bare = uniqueId('no-policy')
    await registerClient(bare, 'bare-secret')
    expect((await call('GET', `/User/${id}`, { auth: basic(bare, 'bare-secret') })).status).toBe(
      403
    )
    const { auth } = await allowedClient('user-admin')
    expect((await call('GET', `/User/${id}`, { auth })).status).toBe(404)
  })
})

describe('User validation answers 400 OperationOutcome naming the field', () => {
  it.each([
    ['email', { email: 'no-at-sign' }],
    ['email', { email: 'two words@example.org' }],
    ['email', { email: 42 }],
    ['email', { email: `${'é'.repeat(125)}@x.org` }],
    ['password', { password: '' }],
    ['password', { password: 7 }],
    ['password', { password: 'x'.repeat(513) }],
    ['active', { active: 'yes' }],
    ['fhirUser', { fhirUser: 'Patient/pt-1' }],
    ['fhirUser', { fhirUser: { reference: 'Observation/o-1' } }],
    ['fhirUser', { fhirUser: { reference: 'Patient/' } }],
    ['fhirUser', { fhirUser: { reference: 'http://x/Patient/pt-1' } }],
    ['fhirUser', { fhirUser: { resourceType: 'Patient', id: 'pt-1' } }],
    ['data', { data: ['a'] }],
    ['name', { name: 'Ann' }],
    ['resourceType', { resourceType: 'Client' }],
    ['id', { id: 'another-id' }],
  ])('refuses a malformed %s (%j), writing nothing', async (field, body) => {
    const id = uniqueId('user')
    const res = await call('PUT', `/User/${id}`, { auth: ROOT, body })
    expect(res.status).toBe(400)
    const outcome = await json(res)
    expect(outcome.resourceType).toBe('OperationOutcome')
    expect(outcome.issue[0].expression).toEqual([field])
    expect(outcome.issue[0].diagnostics).toContain(field)
    expect(await stored(id)).toBeNull()
  })

  it.each(['Patient', 'Practitioner', 'RelatedPerson', 'Person'])(
    'accepts fhirUser {"reference": "%s/<id>"} (SMART fhirUser types)',
    async (type) => {
      const user = await registerUser(uniqueId('user'), { fhirUser: { reference: `${type}/x-1` } })
      expect(user.fhirUser).toEqual({ reference: `${type}/x-1` })
    }
  )

  it('answers 400 for an id outside the id syntax', async () => {
    expect((await call('PUT', `/User/${'x'.repeat(65)}`, { auth: ROOT, body: {} })).status).toBe(
      400
    )
  })
})

describe('User email index (UserEmail/<lower-cased email>)', () => {
  it('refuses (409) an email another User has, whatever its case, and frees it on change and delete', async () => {
    const a = uniqueId('user')
    const b = uniqueId('user')
    await registerUser(a, { email: `${a}@Example.org` })
    expect(await env.AUTH.get(`UserEmail/${a}@example.org`, 'text')).toBe(a)
    const taken = await call('PUT', `/User/${b}`, {
      auth: ROOT,
      body: { email: `${a.toUpperCase()}@EXAMPLE.ORG` },
    })
    expect(taken.status).toBe(409)
    expect((await json(taken)).issue[0].code).toBe('conflict')
    // A changes its email: the old one is free.
    await registerUser(a, { email: `${a}-new@example.org` })
    expect(await env.AUTH.get(`UserEmail/${a}@example.org`, 'text')).toBeNull()
    await registerUser(b, { email: `${a}@example.org` })
    expect(await env.AUTH.get(`UserEmail/${a}@example.org`, 'text')).toBe(b)
    // Deleting A frees its new email.
    await call('DELETE', `/User/${a}`, { auth: ROOT })
    expect(await env.AUTH.get(`UserEmail/${a}-new@example.org`, 'text')).toBeNull()
  })

  it('ignores a stale index entry whose User no longer has the email', async () => {
    const a = uniqueId('user')
    await env.AUTH.put(`UserEmail/${a}@example.org`, 'someone-else')
    expect((await registerUser(a, { email: `${a}@example.org` })).email).toBe(`${a}@example.org`)
    expect(await env.AUTH.get(`UserEmail/${a}@example.org`, 'text')).toBe(a)
  })
})

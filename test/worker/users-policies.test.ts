// Bearer tokens acting for a User (docs/users.md "Tokens and policies"): the User is loaded on every
// request (unknown, deleted, inactive or younger than the token: 401 invalid_token, RFC 6750 §3.1);
// AccessPolicies linked to `User/<id>` apply (docs/aidbox.md#request-pipeline) and every policy sees
// `user`, without its password, in the request object, so `user.data` matcho policies work.

import { afterEach, describe, expect, it, vi } from 'vitest'
import { bearerFor, call, json, ROOT, uniqueId } from './helpers.ts'
import { appClient, freshUser, putPolicy, registerUser, userBearer } from './user-helpers.ts'

const READ = '/fhir/Patient?_count=1'

function expectInvalidToken(res: Response) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('a User who may no longer log in loses its tokens at once (RFC 6750 §3.1)', () => {
  it.each(['jwt', 'opaque'] as const)(
    'a %s token stays refused after its User is disabled and enabled again',
    async (format) => {
      const client = await appClient()
      const user = await freshUser()
      await putPolicy({ engine: 'allow', link: [{ reference: `User/${user.id}` }] })
      const auth = await userBearer(client, user.id, undefined, format)
      expect((await call('GET', READ, { auth })).status).toBe(200)
      await registerUser(user.id, { email: user.email, active: false })
      await registerUser(user.id, { email: user.email, active: true })
      expectInvalidToken(await call('GET', READ, { auth }))
    }
  )
})

describe('a bearer token acting for a User', { timeout: 20_000 }, () => {
  it.each(['jwt', 'opaque'] as const)(
    'is accepted (%s) for an active User, and a policy linked to that User allows it',
    async (format) => {
      const client = await appClient()
      const user = await freshUser()
      const auth = await userBearer(client, user.id, undefined, format)
      // No policy for the Client, none for the User: 403 (authenticated, nothing allows).
      expect((await call('GET', READ, { auth })).status).toBe(403)
      await putPolicy({ engine: 'allow', link: [{ reference: `User/${user.id}` }] })
      expect((await call('GET', READ, { auth })).status).toBe(200)
    }
  )

  it('gets nothing from a policy linked to another User', async () => {
    const client = await appClient()
    const user = await freshUser()
    const other = await freshUser()
    await putPolicy({ engine: 'allow', link: [{ resourceType: 'User', id: other.id }] })
    expect((await call('GET', READ, { auth: await userBearer(client, user.id) })).status).toBe(403)
    expect((await call('GET', READ, { auth: await userBearer(client, other.id) })).status).toBe(200)
  })

  it.each(['jwt', 'opaque'] as const)(
    'is refused (%s) with 401 invalid_token once its User is made inactive, and a later one once it is deleted',
    async (format) => {
      const client = await appClient()
      const user = await freshUser()
      await putPolicy({ engine: 'allow', link: [{ reference: `User/${user.id}` }] })
      const auth = await userBearer(client, user.id, undefined, format)
      expect((await call('GET', READ, { auth })).status).toBe(200)
      await registerUser(user.id, { active: false })
      expectInvalidToken(await call('GET', READ, { auth }))
      await registerUser(user.id, { active: true })
      // Disabling revoked it for good; a token issued since works until the User is deleted.
      expectInvalidToken(await call('GET', READ, { auth }))
      const fresh = await userBearer(client, user.id, undefined, format)
      expect((await call('GET', READ, { auth: fresh })).status).toBe(200)
      expect((await call('DELETE', `/User/${user.id}`, { auth: ROOT })).status).toBe(200)
      expectInvalidToken(await call('GET', READ, { auth: fresh }))
    }
  )

  it('is refused for a User that does not exist', async () => {
    const client = await appClient()
    expectInvalidToken(
      await call('GET', READ, { auth: await userBearer(client, uniqueId('ghost')) })
    )
  })

  it('is refused when its User was deleted and created again with the same id after it was issued', async () => {
    const client = await appClient()
    const user = await freshUser()
    await putPolicy({ engine: 'allow', link: [{ reference: `User/${user.id}` }] })
    const auth = await userBearer(client, user.id)
    await call('DELETE', `/User/${user.id}`, { auth: ROOT })
    // Whole seconds: the new User must be created in a later second than the token's iat.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    await registerUser(user.id, { password: 'new owner' })
    expectInvalidToken(await call('GET', READ, { auth }))
    // A token issued to the new User works.
    expect((await call('GET', READ, { auth: await userBearer(client, user.id) })).status).toBe(200)
  })

  it('is still refused when its Client is disabled, whatever the User', async () => {
    const client = await appClient()
    const user = await freshUser()
    await putPolicy({ engine: 'allow', link: [{ reference: `User/${user.id}` }] })
    const auth = await userBearer(client, user.id)
    await call('PUT', `/Client/${client}`, { auth: ROOT, body: { active: false } })
    expectInvalidToken(await call('GET', READ, { auth }))
  })
})

describe('policies see the User in the request object (`user`, without password)', () => {
  it('a matcho policy on user.data allows the Users that match and no other', async () => {
    const client = await appClient()
    const nurse = await freshUser({ data: { role: 'nurse' } })
    const clerk = await freshUser({ data: { role: 'clerk' } })
    await putPolicy({
      engine: 'matcho',
      link: [{ reference: `Client/${client}` }],
      matcho: { user: { data: { role: 'nurse' } }, 'request-method': 'get' },
    })
    expect((await call('GET', READ, { auth: await userBearer(client, nurse.id) })).status).toBe(200)
    expect((await call('GET', READ, { auth: await userBearer(client, clerk.id) })).status).toBe(403)
  })

  it('user carries id, email and fhirUser, and no password (matcho nil?)', async () => {
    const client = await appClient()
    const user = await freshUser({ fhirUser: { reference: 'Practitioner/pr-1' } })
    await putPolicy({
      engine: 'matcho',
      link: [{ reference: `User/${user.id}` }],
      matcho: {
        user: {
          resourceType: 'User',
          id: user.id,
          email: user.email,
          fhirUser: { reference: 'Practitioner/pr-1' },
          password: 'nil?',
        },
      },
    })
    expect((await call('GET', READ, { auth: await userBearer(client, user.id) })).status).toBe(200)
  })

  it('a policy asking for the password sees none: it never matches the hash', async () => {
    const client = await appClient()
    const user = await freshUser()
    await putPolicy({
      engine: 'matcho',
      link: [{ reference: `User/${user.id}` }],
      matcho: { user: { password: 'present?' } },
    })
    expect((await call('GET', READ, { auth: await userBearer(client, user.id) })).status).toBe(403)
  })

  it('a client_credentials token (no User) has no user in the request object', async () => {
    const client = await appClient()
    await putPolicy({
      engine: 'matcho',
      link: [{ reference: `Client/${client}` }],
      matcho: { user: 'nil?' },
    })
    const { auth } = await bearerFor(client, 'system/*.cruds')
    expect((await call('GET', READ, { auth })).status).toBe(200)
  })

  it('a roleName policy linked to the User never applies (no Role resources, docs/users.md)', async () => {
    const client = await appClient()
    const user = await freshUser({ roleName: 'admin', data: { role: 'admin' } })
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    await putPolicy({
      engine: 'allow',
      roleName: 'admin',
      link: [{ reference: `User/${user.id}` }],
    })
    expect((await call('GET', READ, { auth: await userBearer(client, user.id) })).status).toBe(403)
  })

  it('POST /auth/test-policy loads a user-id without its password', async () => {
    const user = await freshUser({ data: { ward: 'b' } })
    const res = await call('POST', '/auth/test-policy', {
      auth: ROOT,
      body: {
        policy: { engine: 'matcho', matcho: { user: { data: { ward: 'b' } } } },
        request: { uri: '/fhir/Patient', 'user-id': user.id },
      },
    })
    expect(res.status).toBe(200)
    const answer = await json(res)
    expect(answer.result).toEqual({ 'eval-result': true })
    expect(answer.request.user).toMatchObject({ id: user.id, data: { ward: 'b' } })
    expect(JSON.stringify(answer)).not.toContain('password')
    expect(JSON.stringify(answer)).not.toContain('pbkdf2')
  })
})

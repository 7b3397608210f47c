// Test helpers for Users (docs/users.md): registering one through the admin API, a Client whose bearer
// tokens act for it, and policies linked to it.

import { bearerFor, call, json, registerClient, ROOT, uniqueId } from './helpers.ts'

/** PUTs User `id` as root; throws unless 200/201. Returns the answered (public) User. */
export async function registerUser(
  id: string,
  fields: Record<string, unknown>
): Promise<Record<string, any>> {
  const res = await call('PUT', `/User/${id}`, { auth: ROOT, body: fields })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`registerUser: ${res.status} ${await res.text()}`)
  return json(res)
}

/** A fresh User with a password, an email and `fields`; returns its id, email and password. */
export async function freshUser(
  fields: Record<string, unknown> = {}
): Promise<{ id: string; email: string; password: string }> {
  const id = uniqueId('user')
  const email = `${id}@Example.org`
  const password = `pw-${crypto.randomUUID()}`
  await registerUser(id, { email, password, active: true, ...fields })
  return { id, email, password }
}

/** A Client that may hold tokens (authorization_code, as the tokens of users come from). */
export async function appClient(prefix = 'app'): Promise<string> {
  const id = uniqueId(prefix)
  await registerClient(id, `s3cret-${crypto.randomUUID()}`, {
    grant_types: ['authorization_code', 'client_credentials'],
    scope: ['user/*.cruds', 'system/*.cruds'],
    auth: { authorization_code: { redirect_uri: 'https://app.example/redirect' } },
  })
  return id
}

/** `Authorization: Bearer ...` for a token of `clientId` acting for User `userId`. */
export async function userBearer(
  clientId: string,
  userId: string,
  // Both contexts: the FHIR API reads one of them for a User's token (src/policy/scope-check.ts).
  scope = 'user/*.cruds system/*.cruds',
  format: 'jwt' | 'opaque' = 'jwt'
): Promise<string> {
  return (await bearerFor(clientId, scope, format, 300, { user: userId })).auth
}

/** PUTs AccessPolicy `id` (a fresh one by default) as root; throws unless 200/201. */
export async function putPolicy(
  body: Record<string, unknown>,
  id = uniqueId('policy')
): Promise<string> {
  const res = await call('PUT', `/AccessPolicy/${id}`, { auth: ROOT, body })
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`putPolicy: ${res.status} ${await res.text()}`)
  return id
}

// The admin routes of Users: PUT (201 created / 200 replaced), GET and DELETE on /User/:id, with the
// operation ids of the other admin resources (Read, Update, Delete; policies see `resource/type`
// "User"). They keep the email index (`UserEmail/<lower-cased email>` -> id) that login by email
// reads. KV has no uniqueness: an email another User already has is refused (409), but two PUTs racing
// with one new email can both succeed; the index then names the later one, and only that User can log
// in with the email (docs/users.md).

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { jsonBodyOf } from '../http/declared-body.ts'
import { conflict, notFound } from '../errors/outcome.ts'
import { fhirJson } from '../http/media.ts'
import {
  deleteUser,
  deleteUserEmail,
  getUser,
  getUserIdByEmail,
  putUser,
  putUserEmail,
} from '../config/store.ts'
import { revokeUserTokens } from '../auth/token-store.ts'
import type { RouteSpec } from '../policy/route-table.ts'
import { prepareUser, publicUser } from './users.ts'
import { checkId } from './validate.ts'

const USER = { type: 'User' }

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param('id')!
  checkId(id)
  return id
}

const sameEmail = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase()

export const userRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/User/:id',
    operation: 'Read',
    fixedParams: USER,
    handler: async (c) => {
      const id = idParam(c)
      const user = await getUser(c.env, id, { fresh: true, log: c.get('log') })
      if (!user) throw notFound(`Resource User/${id} not found`)
      return fhirJson(c, publicUser(user))
    },
  },
  {
    method: 'PUT',
    path: '/User/:id',
    operation: 'Update',
    fixedParams: USER,
    body: 'json',
    handler: async (c) => {
      const id = idParam(c)
      const log = c.get('log')
      const existing = await getUser(c.env, id, { fresh: true, log })
      const user = await prepareUser(id, await jsonBodyOf(c), existing)
      const { email } = user
      if (typeof email === 'string') {
        const owner = await getUserIdByEmail(c.env, email)
        if (owner !== null && owner !== id) {
          const other = await getUser(c.env, owner, { fresh: true, log })
          if (sameEmail(other?.email, email)) {
            throw conflict(`Another User already has the email ${JSON.stringify(email)}`)
          }
        }
      }
      // A User who may no longer log in, whose password changed (it may have leaked) or whose
      // fhirUser changed (tokens carry the old one) loses its tokens and sessions at once
      // (docs/users.md).
      const changed =
        existing !== null &&
        (existing.password !== user.password ||
          existing.fhirUser?.reference !== user.fhirUser?.reference)
      if (user.active === false || changed) {
        await revokeUserTokens(c.env.DB, id, Math.floor(Date.now() / 1000))
      }
      await putUser(c.env, user)
      if (typeof email === 'string') await putUserEmail(c.env, email, id)
      if (typeof existing?.email === 'string' && !sameEmail(existing.email, email)) {
        await forgetEmail(c.env, existing.email, id)
      }
      return fhirJson(c, publicUser(user), existing ? 200 : 201)
    },
  },
  {
    method: 'DELETE',
    path: '/User/:id',
    operation: 'Delete',
    fixedParams: USER,
    handler: async (c) => {
      const id = idParam(c)
      const existing = await getUser(c.env, id, { fresh: true, log: c.get('log') })
      if (!existing) return c.body(null, 204)
      await revokeUserTokens(c.env.DB, id, Math.floor(Date.now() / 1000))
      await deleteUser(c.env, id)
      if (typeof existing.email === 'string') await forgetEmail(c.env, existing.email, id)
      return fhirJson(c, publicUser(existing))
    },
  },
]

/** Drops the index entry of `email` when it still names User `id` (not when another took it since). */
async function forgetEmail(env: Env, email: string, id: string): Promise<void> {
  if ((await getUserIdByEmail(env, email)) === id) await deleteUserEmail(env, email)
}

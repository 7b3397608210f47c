// Aidbox-compatible User resources (the people who log in, docs/users.md): validation, password hashing
// on write, and the public view, which never contains the password, not even its hash (stricter than
// Aidbox, whose GET returns the hash). Fields other than those checked here (`name`, `data`, ...) are
// Aidbox's free-form ones and are stored as given; policies read them (`user.data.patient`).

import { badRequest } from '../errors/outcome.ts'
import { utf8 } from '../lib/crypto.ts'
import { ID } from '../lib/ids.ts'
import { hashSecret, isSecretHash } from '../lib/secrets.ts'
import { MAX_USER_EMAIL_BYTES, type StoredUser } from '../config/store.ts'
import { checkEnvelope } from './validate.ts'

const MAX_PASSWORD_LENGTH = 512
/** One `@` with something on both sides, no spaces: enough to tell an email from a User id. */
const EMAIL = /^[^\s@]+@[^\s@]+$/
/** The resource types a User may be (SMART App Launch `fhirUser`). */
const FHIR_USER_TYPES = ['Patient', 'Practitioner', 'RelatedPerson', 'Person'] as const
const FHIR_USER = new RegExp(`^(?:${FHIR_USER_TYPES.join('|')})/${ID}$`)

/**
 * Builds the User to store from a PUT body. A body without `password` keeps the stored hash; a
 * password already in the stored hash form is kept as given (so KV exports restore); any other is
 * hashed with PBKDF2 (src/lib/secrets.ts).
 */
export async function prepareUser(
  id: string,
  body: Record<string, unknown>,
  existing: StoredUser | null
): Promise<StoredUser> {
  checkEnvelope(body, 'User', id)
  const { password, email, active, fhirUser, data, name } = body
  if (email !== undefined) {
    if (
      typeof email !== 'string' ||
      !EMAIL.test(email) ||
      utf8(email).length > MAX_USER_EMAIL_BYTES
    ) {
      throw badRequest(
        `email must be an email address (one "@", no spaces, at most ${MAX_USER_EMAIL_BYTES} bytes)`,
        ['email']
      )
    }
  }
  if (active !== undefined && typeof active !== 'boolean') {
    throw badRequest('active must be a boolean', ['active'])
  }
  if (fhirUser !== undefined) checkFhirUser(fhirUser)
  for (const [field, value] of [
    ['data', data],
    ['name', name],
  ] as const) {
    if (value !== undefined && !isPlainObject(value)) {
      throw badRequest(`${field} must be a JSON object`, [field])
    }
  }
  let stored: string | undefined
  if (password === undefined) {
    stored = existing?.password
  } else if (
    typeof password !== 'string' ||
    password === '' ||
    password.length > MAX_PASSWORD_LENGTH
  ) {
    throw badRequest(
      `password must be a non-empty string of at most ${MAX_PASSWORD_LENGTH} characters`,
      ['password']
    )
  } else {
    stored = isSecretHash(password) ? password : await hashSecret(password)
  }
  const { meta: _meta, password: _password, ...fields } = body
  const now = new Date().toISOString()
  const user: StoredUser = {
    ...fields,
    resourceType: 'User',
    id,
    meta: { created: existing?.meta?.created ?? now, lastUpdated: now },
  }
  if (stored !== undefined) user.password = stored
  return user
}

function checkFhirUser(value: unknown): void {
  const reference = isPlainObject(value) ? value.reference : undefined
  if (typeof reference !== 'string' || !FHIR_USER.test(reference)) {
    throw badRequest(
      `fhirUser must be {"reference": "<type>/<id>"} with type one of ${FHIR_USER_TYPES.join(', ')}`,
      ['fhirUser']
    )
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The User as answered by the API: everything but the password (hash). */
export function publicUser(user: StoredUser): Record<string, unknown> {
  const { password: _password, ...rest } = user
  return rest
}

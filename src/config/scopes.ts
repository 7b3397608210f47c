// SMART App Launch 2 resource scopes (scopes-and-launch-context.html): their grammar, v1 and v2 alike,
// whether one scope covers another (what a Client may be granted), and what a set of granted scopes
// allows on one resource type for one interaction letter (what a token may do). Pure functions: the
// token service (src/oauth/) grants with them and the FHIR API (src/fhir/) enforces with them.

/** The interaction letters of SMART v2: create, read, update, delete, search. */
export type ScopeLetter = 'c' | 'r' | 'u' | 'd' | 's'

/** The letters in the only order the grammar allows. */
const LETTERS = 'cruds'

/** A `?param=value` restriction of a granular scope: its parameters, sorted, each name once per value. */
export type ScopeQuery = readonly (readonly [string, string])[]

export interface ResourceScope {
  /** The scope as written (what a token response and introspection return). */
  readonly text: string
  readonly context: 'patient' | 'user' | 'system'
  /** A resource type, or `*` for every type (present and future). */
  readonly type: string
  /** The letters it grants, in `cruds` order (v1 `read` is `rs`, `write` is `cud`, `*` is `cruds`). */
  readonly letters: string
  /** A granular scope's restriction (`Observation.rs?category=laboratory`); absent when there is none. */
  readonly query?: ScopeQuery
}

const RESOURCE_SCOPE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z0-9]{0,63})\.([a-z*]+)(?:\?(.*))?$/
const V1 = new Map([
  ['read', 'rs'],
  ['write', 'cud'],
  ['*', 'cruds'],
])
// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/
/**
 * Search parameters a restriction may not use (they reach other resources or change the result);
 * `_compartment` is the restriction only a patient in launch context makes (COMPARTMENT_PARAM).
 */
const NOT_IN_RESTRICTION =
  /^_(include|revinclude|has|sort|count|elements|summary|total|contained|compartment)/

/**
 * The restriction parameter of a `patient/` scope: `_compartment=Patient/<id>` keeps a type to that
 * patient's compartment (policy/scope-check.ts adds it; the search engine expands it into the
 * compartment's parameters of each type, src/fhir/search/compartment.ts). No written scope may
 * carry it.
 */
export const COMPARTMENT_PARAM = '_compartment'
const MAX_SCOPES = 100

/**
 * The scope tokens of a `scope` value (RFC 6749 §3.3: space-delimited, case-sensitive), duplicates
 * dropped; null when the value is not well formed (empty tokens, forbidden characters, too many).
 */
export function splitScope(value: string): string[] | null {
  const tokens = value.split(' ')
  if (tokens.length > MAX_SCOPES || !tokens.every((t) => SCOPE_TOKEN.test(t))) return null
  return [...new Set(tokens)]
}

/**
 * A resource scope, or null when `text` is none: another kind of scope (`openid`, `launch/patient`)
 * or a malformed one (letters out of order, an unknown letter, a restriction with `c`, `u` or `d` or
 * with a parameter that reaches beyond the resource).
 */
export function parseResourceScope(text: string): ResourceScope | null {
  const match = RESOURCE_SCOPE.exec(text)
  if (!match) return null
  const [, context, type, written, rawQuery] = match
  const letters = V1.get(written!) ?? (inOrder(written!) ? written! : null)
  if (!letters) return null
  if (rawQuery === undefined) {
    return { text, context: context as ResourceScope['context'], type: type!, letters }
  }
  const query = restriction(rawQuery)
  // A restriction narrows what is read or searched; on writes it would mean nothing (Aidbox refuses it too).
  if (!query || /[cud]/.test(letters) || V1.has(written!)) return null
  return { text, context: context as ResourceScope['context'], type: type!, letters, query }
}

function inOrder(letters: string): boolean {
  let at = -1
  for (const letter of letters) {
    const next = LETTERS.indexOf(letter)
    if (next <= at) return false
    at = next
  }
  return letters.length > 0
}

function restriction(raw: string): ScopeQuery | null {
  if (raw === '') return null
  const pairs: [string, string][] = []
  let params: URLSearchParams
  try {
    params = new URLSearchParams(raw)
  } catch {
    return null
  }
  for (const [name, value] of params) {
    if (name === '' || value === '' || NOT_IN_RESTRICTION.test(name)) return null
    pairs.push([name, value])
  }
  if (pairs.length === 0) return null
  return pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
}

/**
 * Whether `allowed` (one of a Client's scopes) grants everything `wanted` asks: same context, the
 * same type or `*`, every letter, and at least `allowed`'s restriction (a wanted scope may be
 * narrower, never wider).
 */
export function scopeCovers(allowed: ResourceScope, wanted: ResourceScope): boolean {
  if (allowed.context !== wanted.context) return false
  if (allowed.type !== '*' && allowed.type !== wanted.type) return false
  if (![...wanted.letters].every((letter) => allowed.letters.includes(letter))) return false
  if (!allowed.query) return true
  const have = new Set((wanted.query ?? []).map(([n, v]) => `${n}=${v}`))
  return allowed.query.every(([n, v]) => have.has(`${n}=${v}`))
}

/** What granted scopes allow on one type for one letter. */
export type ScopeAccess =
  | { kind: 'all' }
  | { kind: 'none' }
  /** Only resources that match one of these restrictions (each an AND of its parameters). */
  | { kind: 'restricted'; restrictions: readonly ScopeQuery[] }

/**
 * The access `scopes` give to `letter` on `type`, in `context` (`system` for client_credentials
 * tokens): the union of every scope of that context that names the type or `*` with the letter,
 * unrestricted as soon as one of them is. Scopes of another context grant nothing here; which
 * contexts count for a token, and what a `patient/` scope is limited to, is policy/scope-check.ts's
 * business. `type` `*` asks for every type at once: only `*` scopes give it.
 */
export function scopeAccess(
  scopes: readonly ResourceScope[],
  type: string,
  letter: ScopeLetter,
  context: ResourceScope['context'] = 'system'
): ScopeAccess {
  const restrictions: ScopeQuery[] = []
  for (const scope of scopes) {
    if (scope.context !== context) continue
    if (scope.type !== '*' && scope.type !== type) continue
    if (!scope.letters.includes(letter)) continue
    if (!scope.query) return { kind: 'all' }
    restrictions.push(scope.query)
  }
  return restrictions.length ? { kind: 'restricted', restrictions } : { kind: 'none' }
}

/** The scope that grants `letter` on `type` (or `*`) without restriction: what a refusal names. */
export function scopeFor(
  type: string,
  letter: ScopeLetter,
  context: ResourceScope['context'] = 'system'
): string {
  return `${context}/${type}.${letter}`
}

/** A restriction as written after the `?` of its scope (for messages). */
export function restrictionText(query: ScopeQuery): string {
  return query.map(([name, value]) => `${name}=${value}`).join('&')
}

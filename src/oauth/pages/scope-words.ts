// SMART scopes in plain words for the consent page (SMART App Launch 2, "Scopes and Launch Context"):
// the OpenID and launch-context scopes by name, resource scopes (`patient|user|system/<Type|*>.<cruds
// or v1 read|write|*>[?restriction]`) read through the same grammar the server enforces
// (config/scopes.ts), so a malformed scope is never described as something it does not grant.
// Anything else is shown as the scope text itself.

import { parseResourceScope, type ResourceScope } from '../../config/scopes.ts'

export interface ScopeWords {
  /** What the app may do, as a short sentence. */
  readonly title: string
  /** What that means, when the title alone is not enough. */
  readonly detail?: string
}

const NAMED: Record<string, ScopeWords> = {
  openid: {
    title: 'Confirm who you are',
    detail: 'The app receives a signed statement of your identity (OpenID Connect).',
  },
  fhirUser: {
    title: 'Know which record describes you',
    detail: 'The app learns the record that stands for you here (a Patient, Practitioner, …).',
  },
  profile: {
    title: 'See your profile',
    detail: 'The app may read the record that describes you.',
  },
  launch: {
    title: 'Use the context it was launched in',
    detail: 'The app learns the patient or encounter that was open when it was launched.',
  },
  'launch/patient': {
    title: 'Know which patient it is used for',
    detail: 'The app learns the patient chosen for it.',
  },
  'launch/encounter': {
    title: 'Know which encounter it is used for',
    detail: 'The app learns the visit or stay chosen for it.',
  },
  offline_access: {
    title: 'Keep access when you are not using it',
    detail: 'The app keeps this access after you sign out, until it is revoked or expires.',
  },
  online_access: {
    title: 'Keep access while you are signed in',
    detail: 'The app may renew its access only while you stay signed in here.',
  },
}

const VERBS: Record<string, string> = {
  c: 'create',
  r: 'read',
  u: 'update',
  d: 'delete',
  s: 'search',
}

const CONTEXT_DETAIL: Record<ResourceScope['context'], string> = {
  patient: 'Only records about the patient the app is used for.',
  user: 'Every record your account may see, which can be about many patients.',
  system: 'Records of every patient and user, not limited to you.',
}

/** Plural nouns for types the general rule gets wrong. */
const PLURALS: Record<string, string> = {
  Evidence: 'evidence',
  Media: 'media items',
  Person: 'persons',
}

/** `scope` in plain words; an unknown scope is described by its own text. */
export function describeScope(scope: string): ScopeWords {
  const named = NAMED[scope]
  if (named) return named
  const parsed = parseResourceScope(scope)
  if (!parsed) return { title: scope }
  const restriction = parsed.query ? ` (only ${restrictionWords(parsed.query)})` : ''
  return {
    title: `${sentence([...parsed.letters].map((l) => VERBS[l]!))} ${whose(parsed)}${restriction}`,
    detail: CONTEXT_DETAIL[parsed.context],
  }
}

/** The records a resource scope reaches, after its verbs. */
function whose({ context, type }: ResourceScope): string {
  if (type === '*') {
    if (context === 'patient') return "all of this patient's records"
    if (context === 'user') return 'everything you can access'
    return 'every record on this server'
  }
  if (context === 'patient') {
    return type === 'Patient' ? "this patient's demographics" : `this patient's ${plural(type)}`
  }
  if (context === 'user') return `the ${plural(type)} you can access`
  return `all ${plural(type)} on this server`
}

/** `AllergyIntolerance` -> "allergy intolerances", `EpisodeOfCare` -> "episodes of care". */
function plural(type: string): string {
  const known = PLURALS[type]
  if (known) return known
  const words = type.split(/(?<=[a-z0-9])(?=[A-Z])/).map((w) => w.toLowerCase())
  const of = words.indexOf('of')
  const head = of > 0 ? of - 1 : words.length - 1
  words[head] = pluralWord(words[head]!)
  return words.join(' ')
}

function pluralWord(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`
  return `${word}s`
}

/** "read", "read and search", "create, read and search". */
function sentence(verbs: readonly string[]): string {
  const text =
    verbs.length < 2 ? verbs.join('') : `${verbs.slice(0, -1).join(', ')} and ${verbs.at(-1)}`
  return text.charAt(0).toUpperCase() + text.slice(1)
}

/** `category=laboratory&code=a,b` -> "category laboratory and code a or b". */
function restrictionWords(query: NonNullable<ResourceScope['query']>): string {
  return query
    .map(([name, value]) => {
      const values = value.split(',').map(tokenWords)
      return `${name.replace(/[-_]+/g, ' ').trim()} ${values.join(' or ')}`
    })
    .join(' and ')
}

/** A token's code without its system (`http://…/observation-category|laboratory` -> laboratory). */
function tokenWords(value: string): string {
  const bar = value.lastIndexOf('|')
  return bar >= 0 && bar < value.length - 1 ? value.slice(bar + 1) : value
}

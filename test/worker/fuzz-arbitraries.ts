// fast-check generators of HTTP requests for the authorisation fuzz tests (fuzz-*.test.ts): paths
// (percent-encoding, dot segments, double and trailing slashes, unicode, very long segments),
// methods, headers (Authorization variants, Content-Type, Accept, Prefer, If-Match, ...), search
// query strings (modifiers, chains, _has, _include/_revinclude, _count, _sort, repeated and
// comma-separated values, garbage) and bodies (resources valid and not, deep nesting, huge arrays,
// Bundles with odd entries, admin and debug bodies). Most requests are plausible, so they reach
// the deep code paths; some are garbage. KNOWN_OPEN leaves out the classes of request that have
// open bugs; each switch is removed when its fix lands.

import fc from 'fast-check'
import { searchParamsFor } from '../../src/fhir/index/registry.ts'

/**
 * Request classes the generators leave out (true) because they hit known open holes (issue 10's
 * outside review, and what these fuzz tests found). Set a switch to false once its fix is on
 * main: the fuzz tests then generate that class and hold it to every invariant. All are fixed
 * now (56f1376: every type a request reads is authorised; bd536b2: JSON nesting capped at 64
 * levels; 6546da0: searches within D1's statement limits); they stay as switches so a regression
 * can be isolated by turning one back on.
 */
const KNOWN_OPEN = {
  /** `_include` / `_revinclude` (and `:iterate`) returned types the client may not read. */
  includes: false,
  /** Chained parameters (`organization.name=x`) filtered on types the client may not search. */
  chains: false,
  /** `_has:Type:param:...` filtered on types the client may not search. */
  reverseChains: false,
  /** Compartment search (`/fhir/Patient/x/*`, `/fhir/Patient/x/Observation`) across types. */
  compartments: false,
  /** Conditional criteria (If-None-Exist, conditional update/patch/delete) no policy saw. */
  conditionalCriteria: false,
  /**
   * Searches with several values in one parameter answer 500 "too many terms in compound
   * SELECT": `Patient?name=a,b,c,d,e,f`, `Observation?value-quantity=1,2,3,4,5,6`, and with 3
   * values through a chain or _has (`Observation?has-member.value-quantity=120,121,122`).
   * While true, a parameter carries at most 2 values and a search at most 5 parameters.
   */
  manyValues: false,
  /**
   * An untyped chain (`ref.param`, no `:Type`) through a reference with several target types
   * answers 500 with one value (the same "too many terms in compound SELECT"):
   * `Observation?performer._id=x`, `Observation?focus.email=x`, also inside `_has`
   * (`Patient?_has:Observation:subject:performer._id=x`). While true, chains name their type.
   */
  untypedChains: false,
  /**
   * Deeply nested JSON answered 500 (stack overflow) for an authorised caller: a JSON Patch
   * value nested 3,000 deep, a transaction entry's resource, a Client body or a test-policy
   * request nested 10,000 deep. While true, generated JSON nests at most 24 deep.
   */
  deepNesting: false,
}

/** How many comma-separated values one search parameter may carry. */
const maxValues = () => (KNOWN_OPEN.manyValues ? 2 : 400)
/** How many parameters a search may carry. */
const maxParams = () => (KNOWN_OPEN.manyValues ? 5 : 40)
/** How deep a generated JSON body may nest. */
const maxDepth = () => (KNOWN_OPEN.deepNesting ? 24 : 30_000)

// ---------------------------------------------------------------------------------------------
// Requests

export type AuthVariant =
  /** The principal's own credentials, as sent by helpers.basic. */
  | { kind: 'own' }
  /** The principal's own credentials in another valid spelling (scheme case, extra spaces). */
  | { kind: 'scheme-case'; scheme: string }
  | { kind: 'none' }
  /** The principal's id with a wrong secret. */
  | { kind: 'wrong-secret' }
  /** An Authorization header that identifies nobody (must be 401). */
  | { kind: 'raw'; value: string }

export interface FuzzRequest {
  method: string
  /** Path and query string, as sent (already encoded, or deliberately not). */
  path: string
  headers: [string, string][]
  body?: string | number[]
  auth: AuthVariant
}

const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)))

const authVariant: fc.Arbitrary<AuthVariant> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'own' as const }), weight: 16 },
  {
    arbitrary: fc
      .constantFrom('basic', 'BASIC', 'bAsIc', 'Basic ')
      .map((scheme) => ({ kind: 'scheme-case' as const, scheme })),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'wrong-secret' as const }), weight: 1 },
  {
    arbitrary: fc
      .constantFrom(
        'Basic',
        'Basic !!!',
        'Bearer eyJhbGciOiJub25lIn0.e30.',
        'Digest username="fuzz-reader"',
        `Basic ${b64('no-colon')}`,
        `Basic ${b64(':empty-id')}`,
        `Basic ${b64('root:wrong')}`,
        `Basic ${b64('ghost-client:pw')}`,
        `Basic ${b64('fuzz-reader:fuzz-secret-fuzz-reader\u0001')}`,
        'Basic /w==',
        `Basic ${b64('fuzz-reader')}=`
      )
      .map((value) => ({ kind: 'raw' as const, value })),
    weight: 2,
  }
)

// ---------------------------------------------------------------------------------------------
// Pools of plausible values

export const TYPES = ['Patient', 'Observation', 'Encounter', 'Practitioner', 'Organization']
const ODD_TYPES = [
  'patient',
  'Client',
  'AccessPolicy',
  'Foo',
  'Bundle',
  'Binary',
  '*',
  '$everything',
]
const IDS: Record<string, string[]> = {
  Patient: ['pt-1', 'pt-2', 'pt-3', 'pt-4'],
  Observation: ['obs-1', 'obs-2', 'obs-3', 'obs-5'],
  Encounter: ['enc-1', 'enc-2', 'enc-3'],
  Practitioner: ['pr-1', 'pr-2'],
  Organization: ['org-1'],
}
const ODD_IDS = [
  'missing-1',
  'a'.repeat(64),
  'a'.repeat(65),
  'é',
  '..',
  '%2e%2e',
  'pt-1%2F..%2Fenc-1',
  '-',
  '$x',
]

const typeName = fc.oneof(
  { arbitrary: fc.constantFrom(...TYPES), weight: 8 },
  { arbitrary: fc.constantFrom(...ODD_TYPES), weight: 1 }
)
const idOf = (type: string) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...(IDS[type] ?? ['pt-1'])), weight: 6 },
    { arbitrary: fc.constantFrom(...ODD_IDS), weight: 1 }
  )

/** A short string of awkward characters: quotes, escapes, percent, unicode, control characters. */
const awkward = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '%',
    '%zz',
    '%E0%A4%A',
    '\\',
    '\\,',
    '\\|',
    '\\$',
    '$',
    '|',
    ',',
    '"',
    "'",
    ';',
    '&',
    '=',
    '+',
    '#',
    '\u0000',
    '\u202e',
    '😀',
    'José',
    'ǅ',
    'İ',
    '\ud800',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    "1' OR '1'='1",
    '1;DROP TABLE resource',
    '*',
    '..'
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 })
)

const DATES = [
  '2015',
  '2015-01',
  '2015-01-01',
  '2015-01-01T10:00:00Z',
  '2021-07-04T08:30:00+02:00',
  '1974-12-25',
  '2023-03-10T00:00',
  '2015-02-30',
  '10000',
  '-0001',
  'now',
  '2015-01-01T25:00:00Z',
]
const PREFIXES = ['', '', '', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'xx']
const CODES = [
  '8480-6',
  '8462-4',
  '4548-4',
  '29463-7',
  'http://loinc.org|8480-6',
  '|8480-6',
  'http://loinc.org|',
  'male',
  'female',
  'finished',
  'in-progress',
  'final',
  'vital-signs',
  'AMB',
  'true',
  'false',
  'urn:fuzz:canary|',
  'http://terminology.hl7.org/CodeSystem/v2-0203|MR|123',
]
const STRINGS = [
  'Chalmers',
  'chal',
  'Peter',
  'José',
  'jose',
  'Núñez',
  'Watson',
  'Holmes',
  'Acme',
  'PleasantVille',
  '534',
  'a',
  'Windsor',
]
const REFS = [
  'Patient/pt-1',
  'pt-1',
  'Patient/pt-2',
  'Practitioner/pr-1',
  'pr-1',
  'Organization/org-1',
  'Encounter/enc-1',
  'Patient/pt-1/_history/1',
  'https://fhir.test/fhir/Patient/pt-1',
  'http://elsewhere.example/Patient/1',
  'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
]
const QUANTITIES = [
  '120',
  '120|http://unitsofmeasure.org|mm[Hg]',
  '120||mmHg',
  'gt100',
  'lt5.4',
  'ap6.3||mm[Hg]',
  '1e2',
  '-0',
  '1e400',
  'NaN',
  '120|',
]
const URIS = ['http://example.org', 'http://hl7.org/fhir/StructureDefinition/Patient', 'urn:x']

/** Plausible values of a parameter of `kind`. */
function plainValueFor(kind: string, strict = false): fc.Arbitrary<string> {
  const dates = strict ? DATES.slice(0, 6) : DATES
  const quantities = strict ? QUANTITIES.slice(0, 6) : QUANTITIES
  const prefixes = strict ? PREFIXES.slice(0, -1) : PREFIXES
  {
    switch (kind) {
      case 'token':
        return fc.constantFrom(...CODES)
      case 'string':
        return fc.constantFrom(...STRINGS)
      case 'date':
        return fc
          .tuple(fc.constantFrom(...prefixes), fc.constantFrom(...dates))
          .map(([p, d]) => p + d)
      case 'number':
      case 'quantity':
        return fc.constantFrom(...quantities)
      case 'reference':
        return fc.constantFrom(...REFS)
      case 'uri':
        return fc.constantFrom(...URIS)
      case 'composite':
        return fc.constantFrom(
          '8480-6$gt140',
          'http://loinc.org|8480-6$120',
          '8480-6$',
          '$',
          'x$y$z'
        )
      default:
        return fc.constantFrom(...STRINGS)
    }
  }
}

/** Values of a parameter of `kind`: plausible mostly, awkward sometimes. */
function valueFor(kind: string): fc.Arbitrary<string> {
  return fc.oneof({ arbitrary: plainValueFor(kind), weight: 8 }, { arbitrary: awkward, weight: 1 })
}

const MODIFIERS: Record<string, string[]> = {
  token: [':not', ':text', ':missing', ':of-type', ':above', ':in', ':code-text'],
  string: [':exact', ':contains', ':missing', ':text'],
  reference: [
    ':missing',
    ':identifier',
    ':Patient',
    ':Practitioner',
    ':Organization',
    ':above',
    ':Foo',
  ],
  date: [':missing'],
  number: [':missing'],
  quantity: [':missing'],
  uri: [':below', ':above', ':missing'],
  composite: [':missing'],
}

/**
 * Values of a parameter of `kind` joined by commas (search.html#combining: OR): a few, sometimes
 * awkward; or many plausible ones, so they reach the query rather than a 400 on one value.
 */
const commaList = (kind: string) =>
  fc
    .oneof(
      {
        arbitrary: fc.array(valueFor(kind), { minLength: 1, maxLength: Math.min(3, maxValues()) }),
        weight: 8,
      },
      {
        arbitrary: fc.array(plainValueFor(kind, true), {
          minLength: 1,
          maxLength: maxValues(),
          size: 'max',
        }),
        weight: 1,
      }
    )
    .map((vs) => vs.join(','))

/** `name=value` with an optional modifier, for a search parameter of `type`. */
function plainParam(type: string): fc.Arbitrary<[string, string]> {
  const params = searchParamsFor(type).filter(
    (d) => !['_text', '_content', '_query'].includes(d.code)
  )
  if (!params.length) return fc.tuple(fc.constantFrom('_id', 'name'), fc.constantFrom(...STRINGS))
  return fc.constantFrom(...params).chain((def) => {
    const mods = MODIFIERS[def.type] ?? []
    const modifier = fc.oneof(
      { arbitrary: fc.constant(''), weight: 6 },
      { arbitrary: fc.constantFrom(...(mods.length ? mods : [''])), weight: 2 }
    )
    return modifier.chain((m) =>
      fc.tuple(
        fc.constant(def.code + m),
        m === ':missing'
          ? fc.constantFrom('true', 'false', 'maybe')
          : commaList(def.type === 'token' && m === ':text' ? 'string' : def.type)
      )
    )
  })
}

/** Reference parameters of `type`, with their target types. */
function referenceParams(type: string) {
  return searchParamsFor(type).filter((d) => d.type === 'reference' && d.targets?.length)
}

/** A chained parameter (search.html#chaining): `ref[:Target].param=value`, up to 4 levels. */
function chainParam(type: string, depth = 0): fc.Arbitrary<[string, string]> {
  const refs = referenceParams(type).filter((d) => d.targets!.some((t) => TYPES.includes(t)))
  if (!refs.length || depth > 3) return plainParam(type)
  return fc.constantFrom(...refs).chain((def) => {
    const targets = def.targets!.filter((t) => TYPES.includes(t))
    const mustName = KNOWN_OPEN.untypedChains && def.targets!.length > 1
    return fc
      .tuple(fc.constantFrom(...targets), mustName ? fc.constant(true) : fc.boolean(), fc.boolean())
      .chain(([target, typed, deeper]) =>
        (deeper ? chainParam(target, depth + 1) : plainParam(target)).map(
          ([name, value]): [string, string] => [
            `${def.code}${typed ? `:${target}` : ''}.${name}`,
            value,
          ]
        )
      )
  })
}

/** A reverse chain (search.html#has): `_has:Type:ref:param=value`, possibly nested. */
function hasParam(type: string, depth = 0): fc.Arbitrary<[string, string]> {
  const referrers = TYPES.flatMap((t) =>
    referenceParams(t)
      .filter((d) => d.targets!.includes(type))
      .map((d) => [t, d.code] as const)
  )
  if (!referrers.length || depth > 2) return plainParam(type)
  return fc
    .tuple(fc.constantFrom(...referrers), fc.nat(4))
    .chain(([[t, ref], roll]) =>
      (roll === 0
        ? hasParam(t, depth + 1)
        : roll === 1 && !KNOWN_OPEN.chains
          ? chainParam(t)
          : plainParam(t)
      ).map(([name, value]): [string, string] => [`_has:${t}:${ref}:${name}`, value])
    )
}

/** `_include` / `_revinclude` values, with `:iterate`. */
function includeParam(type: string): fc.Arbitrary<[string, string]> {
  const forward = referenceParams(type).map((d) => `${type}:${d.code}`)
  const reverse = TYPES.flatMap((t) =>
    referenceParams(t)
      .filter((d) => d.targets!.includes(type))
      .map((d) => `${t}:${d.code}`)
  )
  return fc.oneof(
    fc.tuple(
      fc.constantFrom('_include', '_include:iterate', '_include:recurse'),
      fc.constantFrom(
        ...forward,
        `${type}:*`,
        '*',
        'Observation:subject:Patient',
        'Encounter:participant',
        'Foo:bar'
      )
    ),
    fc.tuple(
      fc.constantFrom('_revinclude', '_revinclude:iterate'),
      fc.constantFrom(...reverse, `${type}:*`, '*', 'Observation:subject')
    )
  )
}

/** Search result parameters (search.html#return) and garbage. */
function resultParam(type: string): fc.Arbitrary<[string, string]> {
  const sortable = searchParamsFor(type).map((d) => d.code)
  return fc.oneof(
    fc.tuple(
      fc.constant('_count'),
      fc.oneof(
        fc.integer({ min: -2, max: 1200 }).map(String),
        fc.constantFrom('abc', '', '1e3', '0x10', '99999999999999999999')
      )
    ),
    fc.tuple(
      fc.constant('_sort'),
      fc
        .array(
          fc
            .tuple(
              fc.constantFrom('', '-'),
              fc.constantFrom(...sortable, '_id', '_lastUpdated', 'nonsense')
            )
            .map(([s, c]) => s + c),
          { minLength: 1, maxLength: 3 }
        )
        .map((v) => v.join(','))
    ),
    fc.tuple(
      fc.constant('_summary'),
      fc.constantFrom('true', 'false', 'text', 'data', 'count', 'nope')
    ),
    fc.tuple(
      fc.constant('_elements'),
      fc.constantFrom('name', 'id,meta', 'name,gender,birthDate', 'subject', '', 'a.b', '*')
    ),
    fc.tuple(fc.constant('_total'), fc.constantFrom('none', 'estimate', 'accurate', 'x')),
    fc.tuple(
      fc.constantFrom('_format', '_pretty'),
      fc.constantFrom('json', 'application/fhir+json', 'xml', 'true', 'false')
    ),
    fc.tuple(
      fc.constant('_cursor'),
      fc.oneof(
        fc.base64String({ maxLength: 40 }),
        fc.constantFrom('eyJrIjpbXSwicGsiOjF9', 'eyJzb3J0IjoiX2lkIiwicGsiOjk5OTl9')
      )
    ),
    fc.tuple(
      fc.constantFrom('_lastUpdated', '_id', '_tag', '_profile', '_security', '_source'),
      fc.oneof(valueFor('date'), fc.constantFrom(...Object.values(IDS).flat()))
    ),
    fc.tuple(
      fc.constantFrom(
        '_filter',
        '_text',
        '_content',
        '_list',
        '_query',
        '_offset',
        'near',
        'foo',
        '_foo',
        'resource/type',
        'name:'
      ),
      awkward
    ),
    fc.tuple(awkward, awkward)
  )
}

/** One search parameter for `type`, from the classes KNOWN_OPEN leaves on. */
function searchParam(type: string, classes = KNOWN_OPEN): fc.Arbitrary<[string, string]> {
  const choices: fc.WeightedArbitrary<[string, string]>[] = [
    { arbitrary: plainParam(type), weight: 8 },
    { arbitrary: resultParam(type), weight: 4 },
  ]
  if (!classes.chains) choices.push({ arbitrary: chainParam(type), weight: 4 })
  if (!classes.reverseChains) choices.push({ arbitrary: hasParam(type), weight: 4 })
  if (!classes.includes) choices.push({ arbitrary: includeParam(type), weight: 4 })
  const probes = linkProbes(type, classes)
  if (probes.length) choices.push({ arbitrary: fc.constantFrom(...probes), weight: 4 })
  return fc.oneof(...choices)
}

/**
 * Filters through a link to another type that match the seeded data (`organization:Organization._id=org-1`,
 * `_has:Encounter:subject:_id=enc-1`, `...:missing=false`): whether they match depends on that
 * other type's rows, so they show when a search is an oracle on data the caller may not read.
 */
function linkProbes(type: string, classes = KNOWN_OPEN): [string, string][] {
  const out: [string, string][] = []
  const probesOf = (target: string) => [
    ...(IDS[target] ?? []).map((id) => ['_id', id]),
    ['_lastUpdated', 'gt2000'],
  ]
  if (!classes.chains) {
    for (const def of referenceParams(type)) {
      for (const target of def.targets!.filter((t) => TYPES.includes(t))) {
        for (const [param, value] of probesOf(target)) {
          out.push([`${def.code}:${target}.${param}`, value!])
        }
      }
    }
  }
  if (!classes.reverseChains) {
    for (const source of TYPES) {
      for (const def of referenceParams(source).filter((d) => d.targets!.includes(type))) {
        for (const [param, value] of probesOf(source)) {
          out.push([`_has:${source}:${def.code}:${param}`, value!])
        }
      }
    }
  }
  return out
}

/** How a query string is written: usually encoded, sometimes raw or double-encoded. */
const encoding = fc.constantFrom(
  'encoded',
  'encoded',
  'encoded',
  'encoded',
  'raw',
  'double',
  'plus'
)

/** encodeURIComponent, with a lone surrogate written as the bytes of its (invalid) UTF-8 form. */
function encodeLoose(s: string): string {
  return s
    .split(/([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/)
    .map((part, i) => (i % 2 ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('')
}

function encodeParams(params: [string, string][], how: string): string {
  const encodeURIComponent = encodeLoose
  const enc = (s: string) => {
    switch (how) {
      case 'raw':
        return s.replaceAll('&', '%26').replaceAll('#', '%23')
      case 'double':
        return encodeURIComponent(encodeURIComponent(s))
      case 'plus':
        return encodeURIComponent(s).replaceAll('%20', '+')
      default:
        return encodeURIComponent(s)
          .replaceAll('%3A', ':')
          .replaceAll('%7C', '|')
          .replaceAll('%2C', ',')
    }
  }
  return params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&')
}

/** A query string (without `?`) of 0..n parameters for `type`, some repeated. */
function searchQuery(type: string, classes = KNOWN_OPEN): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.oneof(
        {
          arbitrary: fc.array(searchParam(type, classes), { minLength: 1, maxLength: 4 }),
          weight: 8,
        },
        {
          arbitrary: fc.array(searchParam(type, classes), { maxLength: maxParams(), size: 'max' }),
          weight: 1,
        }
      ),
      fc.nat(3),
      encoding
    )
    .map(([params, repeat, how]) => {
      const all = repeat === 3 && params.length ? [...params, params[0]!] : params
      return encodeParams(all, how)
    })
}

/** Criteria for a conditional interaction: a plain search (chains and _has only if not KNOWN_OPEN). */
function criteria(type: string): fc.Arbitrary<string> {
  const classes = KNOWN_OPEN.conditionalCriteria
    ? { ...KNOWN_OPEN, chains: true, reverseChains: true, includes: true }
    : KNOWN_OPEN
  return fc
    .array(
      fc.oneof(
        { arbitrary: plainParam(type), weight: 6 },
        { arbitrary: searchParam(type, classes), weight: 1 }
      ),
      { minLength: 0, maxLength: 3 }
    )
    .map((params) => encodeParams(params, 'encoded'))
}

// ---------------------------------------------------------------------------------------------
// Paths

/** Mutations a proxy, a client or an attacker may apply to a path. */
function mutatePath(path: string): fc.Arbitrary<string> {
  return fc.oneof(
    { arbitrary: fc.constant(path), weight: 12 },
    { arbitrary: fc.constant(`${path}/`), weight: 1 },
    { arbitrary: fc.constant(path.replace('/fhir/', '/fhir//')), weight: 1 },
    { arbitrary: fc.constant(path.replace(/^\/fhir\/(\w+)/, '/fhir/Encounter/../$1')), weight: 1 },
    {
      arbitrary: fc.constant(path.replace(/^\/fhir\/(\w+)/, '/fhir/Encounter/%2e%2e/$1')),
      weight: 1,
    },
    { arbitrary: fc.constant(path.replace(/^\/fhir\//, '/fhir/./')), weight: 1 },
    { arbitrary: fc.constant(path.replace('/fhir', '/FHIR')), weight: 1 },
    { arbitrary: fc.constant(path.replace('/Patient', '/%50atient')), weight: 1 },
    { arbitrary: fc.constant(path.replace(/\/([^/]+)$/, '/%2F$1')), weight: 1 },
    { arbitrary: fc.constant(`${path};jsessionid=1`), weight: 1 },
    {
      arbitrary: fc
        .constantFrom('😀', 'ü', '%F0%9F%98%80', '%C3%28', '%00')
        .map((u) => `${path}/${u}`),
      weight: 1,
    },
    {
      arbitrary: fc.integer({ min: 300, max: 9000 }).map((n) => `${path}/${'x'.repeat(n)}`),
      weight: 1,
    }
  )
}

/** Paths of the FHIR API, mutated; `query` is appended when given. */
function fhirPath(
  classes = KNOWN_OPEN
): fc.Arbitrary<{ path: string; type: string; shape: string }> {
  return typeName.chain((type) =>
    idOf(type).chain((id) => {
      const shapes: [string, string][] = [
        ['type', `/fhir/${type}`],
        ['instance', `/fhir/${type}/${id}`],
        ['history-instance', `/fhir/${type}/${id}/_history`],
        ['vread', `/fhir/${type}/${id}/_history/1`],
        ['vread', `/fhir/${type}/${id}/_history/0`],
        ['history-type', `/fhir/${type}/_history`],
        ['history-system', '/fhir/_history'],
        ['search-post', `/fhir/${type}/_search`],
        ['system', '/fhir'],
        ['system', '/fhir/'],
        ['system-post', '/fhir/_search'],
        ['metadata', '/fhir/metadata'],
      ]
      if (!classes.compartments)
        shapes.push(
          ['compartment', `/fhir/Patient/${id}/${type}`],
          ['compartment', `/fhir/Patient/${id}/*`]
        )
      else if (type === 'Patient') shapes.push(['compartment', `/fhir/Patient/${id}/Patient`])
      return fc
        .constantFrom(...shapes)
        .chain(([shape, p]) => mutatePath(p).map((path) => ({ path, type, shape })))
    })
  )
}

// ---------------------------------------------------------------------------------------------
// Headers

const CONTENT_TYPES = [
  'application/fhir+json',
  'application/json',
  'application/json; charset=utf-8',
  'application/fhir+json;fhirVersion=4.0',
  'application/json-patch+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  '',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
]
const ACCEPTS = [
  'application/fhir+json',
  'application/json',
  '*/*',
  'application/xml',
  'text/html',
  'application/fhir+json;q=0',
  'application/fhir+xml, application/fhir+json;q=0.5',
  '',
  'garbage/',
]
const PREFERS = [
  'return=minimal',
  'return=representation',
  'return=OperationOutcome',
  'handling=strict',
  'handling=lenient',
  'return=minimal, handling=strict',
  'respond-async',
  'return=',
]
const ETAGS = ['W/"1"', 'W/"2"', '"1"', '1', '*', 'W/"999"', 'W/"x"', 'W/"1", W/"2"', '', 'W/"-1"']

function headerPairs(type: string, contentType?: string): fc.Arbitrary<[string, string][]> {
  const latin1 = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, '?'))
  const optional: fc.Arbitrary<[string, string]>[] = [
    fc.tuple(fc.constant('accept'), fc.constantFrom(...ACCEPTS)),
    fc.tuple(fc.constant('prefer'), fc.constantFrom(...PREFERS)),
    fc.tuple(fc.constant('if-match'), fc.constantFrom(...ETAGS)),
    fc.tuple(fc.constant('if-none-match'), fc.constantFrom(...ETAGS)),
    fc.tuple(
      fc.constant('if-modified-since'),
      fc.constantFrom('Wed, 21 Oct 2015 07:28:00 GMT', 'Thu, 01 Jan 2099 00:00:00 GMT', 'yesterday')
    ),
    fc.tuple(fc.constant('if-none-exist'), criteria(type)),
    fc.tuple(fc.constant('x-request-id'), fc.oneof(fc.uuid(), latin1)),
    fc.tuple(
      fc.constantFrom(
        'x-forwarded-host',
        'x-forwarded-proto',
        'forwarded',
        'x-http-method-override',
        'origin',
        'cookie'
      ),
      latin1
    ),
    fc.tuple(
      fc.constant('x-long'),
      fc.integer({ min: 1000, max: 12000 }).map((n) => 'v'.repeat(n))
    ),
  ]
  const ct: fc.Arbitrary<[string, string][]> =
    contentType === undefined
      ? fc.constant<[string, string][]>([])
      : fc.oneof(
          {
            arbitrary: fc.constant<[string, string][]>([['content-type', contentType]]),
            weight: 8,
          },
          {
            arbitrary: fc
              .constantFrom(...CONTENT_TYPES)
              .map((c) => [['content-type', c]] as [string, string][]),
            weight: 1,
          },
          { arbitrary: fc.constant<[string, string][]>([]), weight: 1 }
        )
  return fc
    .tuple(
      ct,
      fc
        .subarray(optional, { maxLength: 3 })
        .chain((gens) => (gens.length ? fc.tuple(...gens) : fc.constant<[string, string][]>([])))
    )
    .map(([a, b]) => [...a, ...(b as [string, string][])])
}

// ---------------------------------------------------------------------------------------------
// JSON bodies

/** Arbitrary JSON nested up to `depth` levels: `{"a":{"a":...}}` or `[[...]]`. */
const deepJson = () =>
  fc
    .tuple(fc.integer({ min: 2, max: maxDepth() }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays
        ? `${'['.repeat(depth)}1${']'.repeat(depth)}`
        : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
    )

const reference = fc.oneof(
  fc.constantFrom(...REFS).map((r) => ({ reference: r })),
  fc.constantFrom(
    { identifier: { system: 'urn:x', value: '1' } },
    { display: 'only display' },
    { reference: '' },
    { reference: 5 },
    { reference: '#contained-1' }
  )
)

/** Fields a resource of `type` may plausibly carry. */
function fieldsOf(type: string): fc.Arbitrary<Record<string, unknown>> {
  const name = fc.record(
    {
      family: fc.constantFrom(...STRINGS),
      given: fc.array(fc.constantFrom(...STRINGS), { maxLength: 3 }),
    },
    { requiredKeys: [] }
  )
  const common = {
    identifier: fc.array(
      fc.record({
        system: fc.constantFrom('urn:x', 'http://hospital.example.org/mrn', ''),
        value: awkward,
      }),
      { maxLength: 3 }
    ),
    meta: fc.record(
      {
        versionId: fc.constantFrom('1', '99', 'x'),
        lastUpdated: fc.constantFrom('2000-01-01T00:00:00Z', 'x'),
        tag: fc.constant([{ system: 'urn:t', code: 'fuzz' }]),
        profile: fc.constant(['http://example.org/p']),
        security: fc.constant([{ code: 'R' }]),
        source: fc.constant('urn:fuzz'),
      },
      { requiredKeys: [] }
    ),
    text: fc.constant({
      status: 'generated',
      div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>',
    }),
    extension: fc.array(
      fc.record({ url: fc.constantFrom('http://example.org/ext', ''), valueString: awkward }),
      { maxLength: 2 }
    ),
    contained: fc.constant([
      { resourceType: 'Encounter', id: 'contained-1', status: 'planned', class: { code: 'AMB' } },
    ]),
  }
  const byType: Record<string, Record<string, fc.Arbitrary<unknown>>> = {
    Patient: {
      name: fc.array(name, { maxLength: 3 }),
      gender: fc.constantFrom('male', 'female', 'other', 'unknown', 'x', 5),
      birthDate: fc.constantFrom(...DATES),
      active: fc.constantFrom(true, false, 'yes'),
      generalPractitioner: fc.array(reference, { maxLength: 2 }),
      managingOrganization: reference,
      link: fc.constant([{ other: { reference: 'Patient/pt-1' }, type: 'seealso' }]),
      address: fc.array(
        fc.record({ city: fc.constantFrom(...STRINGS), line: fc.array(awkward, { maxLength: 2 }) }),
        { maxLength: 2 }
      ),
    },
    Observation: {
      status: fc.constantFrom('final', 'preliminary', 'x'),
      code: fc
        .constantFrom(...CODES)
        .map((c) => ({ coding: [{ system: 'http://loinc.org', code: c }] })),
      subject: reference,
      encounter: reference,
      effectiveDateTime: fc.constantFrom(...DATES),
      valueQuantity: fc.record(
        {
          value: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(1e308, -0, 120)),
          unit: fc.constantFrom('mmHg', ''),
          system: fc.constant('http://unitsofmeasure.org'),
          code: fc.constantFrom('mm[Hg]', ''),
        },
        { requiredKeys: [] }
      ),
      component: fc.array(
        fc.record({
          code: fc.constant({ coding: [{ code: '8480-6' }] }),
          valueQuantity: fc.constant({ value: 1 }),
        }),
        { maxLength: 3 }
      ),
    },
    Encounter: {
      status: fc.constantFrom('finished', 'planned', 'x'),
      class: fc.constant({ code: 'AMB' }),
      subject: reference,
      participant: fc.array(fc.record({ individual: reference }), { maxLength: 2 }),
      period: fc.record(
        { start: fc.constantFrom(...DATES), end: fc.constantFrom(...DATES) },
        { requiredKeys: [] }
      ),
    },
    Practitioner: { name: fc.array(name, { maxLength: 2 }), active: fc.boolean() },
    Organization: { name: fc.constantFrom(...STRINGS), partOf: reference },
  }
  return fc.record({ ...common, ...(byType[type] ?? {}) }, { requiredKeys: [] })
}

/** A resource of `type` (sometimes another type, a wrong id, or wrongly typed fields). */
function resourceOf(type: string, id?: string): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.oneof(
        { arbitrary: fc.constant(type), weight: 10 },
        { arbitrary: typeName, weight: 1 },
        { arbitrary: fc.constantFrom(undefined, 5, ''), weight: 1 }
      ),
      fc.oneof(
        { arbitrary: fc.constant(id), weight: 6 },
        { arbitrary: fc.constantFrom(undefined, 'other-id', 5, ''), weight: 1 }
      ),
      fieldsOf(type),
      fc.option(
        fc.dictionary(
          fc.constantFrom(
            'unknownField',
            'birthDate',
            'name',
            '_gender',
            'resourceType',
            '__proto__'
          ),
          fc.jsonValue({ maxDepth: 3 })
        ),
        { freq: 4 }
      )
    )
    .map(([resourceType, rid, fields, extra]) => ({
      ...(resourceType === undefined ? {} : { resourceType }),
      ...(rid === undefined ? {} : { id: rid }),
      ...fields,
      ...(extra ?? {}),
    }))
}

/** Big bodies: a huge array, a very long string, deep nesting. */
function bigBody(type: string): fc.Arbitrary<string> {
  return fc.oneof(
    fc.integer({ min: 200, max: 6000 }).map((n) =>
      JSON.stringify({
        resourceType: type,
        name: Array.from({ length: n }, (_, i) => ({ family: `F${i}`, given: [`G${i}`] })),
      })
    ),
    fc
      .integer({ min: 10_000, max: 1_200_000 })
      .map((n) => JSON.stringify({ resourceType: type, name: [{ family: 'x'.repeat(n) }] })),
    deepJson().map(
      (inner) =>
        `{"resourceType":"${type}","extension":[{"url":"http://x","valueString":"s","extension":${inner.startsWith('[') ? inner : `[${inner}]`}}]}`
    ),
    deepJson()
  )
}

/** A body for a route taking one resource of `type`: plausible mostly, garbage sometimes. */
function resourceBody(type: string, id?: string): fc.Arbitrary<string | number[]> {
  return fc.oneof(
    { arbitrary: resourceOf(type, id).map((r) => JSON.stringify(r)), weight: 14 },
    { arbitrary: bigBody(type), weight: 2 },
    {
      arbitrary: fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"x"',
        '5',
        '{}',
        '{"resourceType":5}',
        '\ufeff{"resourceType":"Patient"}',
        '{"resourceType":"Patient","resourceType":"Encounter"}',
        '{"a":1}garbage'
      ),
      weight: 2,
    },
    {
      arbitrary: fc.constant<number[]>([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
      weight: 1,
    }
  )
}

/** A JSON Patch (RFC 6902) document, plausible mostly; sometimes adding a deeply nested value. */
const jsonPatch = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc
      .array(
        fc.record(
          {
            op: fc.constantFrom('add', 'remove', 'replace', 'test', 'move', 'copy', 'bogus'),
            path: fc.constantFrom(
              '/active',
              '/name/0/family',
              '/name/-',
              '/id',
              '/resourceType',
              '/meta/versionId',
              '/__proto__/x',
              '',
              '/gender',
              '/a~1b',
              '/name/99'
            ),
            value: fc.jsonValue({ maxDepth: 2 }),
            from: fc.constantFrom('/name/0', '/gender', '/x'),
          },
          { requiredKeys: ['op', 'path'] }
        ),
        { maxLength: 4 }
      )
      .map((ops) => JSON.stringify(ops)),
    fc.constantFrom('{}', '[', '[1]', '{"resourceType":"Parameters"}'),
    deepJson().map((d) => `[{"op":"add","path":"/extension","value":[${d}]}]`)
  )

// ---------------------------------------------------------------------------------------------
// FHIR REST requests

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND']

/** A request to the FHIR API at /fhir (any interaction, batch and transaction excepted). */
export function fhirRequest(classes = KNOWN_OPEN): fc.Arbitrary<FuzzRequest> {
  return fhirPath(classes).chain(({ path, type, shape }) => {
    const conditional = shape === 'type' && !classes.conditionalCriteria
    const method = fc.oneof(
      { arbitrary: fc.constant(defaultMethod(shape)), weight: 6 },
      { arbitrary: fc.constantFrom(...METHODS), weight: 3 }
    )
    return method.chain((m) => {
      const hasQuery =
        m === 'GET' ||
        m === 'HEAD' ||
        shape.endsWith('post') ||
        ((m === 'PUT' || m === 'PATCH' || m === 'DELETE') && conditional)
      const query = hasQuery
        ? fc.option(shape.startsWith('history') ? historyQuery : searchQuery(type, classes), {
            freq: 4,
          })
        : fc.oneof(
            { arbitrary: fc.constant(null), weight: 8 },
            { arbitrary: fc.constantFrom('_pretty=true', '_format=json'), weight: 1 }
          )
      const [body, contentType]: [fc.Arbitrary<string | number[] | undefined>, string | undefined] =
        m === 'PATCH'
          ? [jsonPatch(), 'application/json-patch+json']
          : m === 'POST' && shape.endsWith('post')
            ? [
                fc.option(searchQuery(type, classes), { nil: undefined }),
                'application/x-www-form-urlencoded',
              ]
            : m === 'POST' || m === 'PUT'
              ? [
                  resourceBody(type, shape === 'instance' ? path.split('/')[3] : undefined),
                  'application/fhir+json',
                ]
              : [fc.constant(undefined), undefined]
      return fc.record({
        method: fc.constant(m),
        path: fc.tuple(fc.constant(path), query).map(([p, q]) => (q === null ? p : `${p}?${q}`)),
        headers: headerPairs(type, contentType),
        body,
        auth: authVariant,
      })
    })
  })
}

const historyQuery = fc
  .array(
    fc.oneof(
      fc.tuple(fc.constant('_count'), fc.integer({ min: -1, max: 1100 }).map(String)),
      fc.tuple(fc.constantFrom('_since', '_at'), fc.constantFrom(...DATES)),
      fc.tuple(fc.constantFrom('_cursor', '_list', 'foo'), awkward)
    ),
    { maxLength: 3 }
  )
  .map((ps) => encodeParams(ps, 'encoded'))

function defaultMethod(shape: string): string {
  if (shape === 'type') return 'GET'
  if (shape.endsWith('post')) return 'POST'
  return 'GET'
}

/** Writes a narrow client may or may not make: create, update, patch, delete on every type. */
export function writeRequest(classes = KNOWN_OPEN): fc.Arbitrary<FuzzRequest> {
  return fc
    .tuple(typeName, fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE'), fc.boolean())
    .chain(([type, method, conditional]) =>
      idOf(type).chain((id) => {
        const useCriteria = conditional && method !== 'POST' && !classes.conditionalCriteria
        const path = method === 'POST' || useCriteria ? `/fhir/${type}` : `/fhir/${type}/${id}`
        const query = useCriteria ? criteria(type).map((c) => `?${c}`) : fc.constant('')
        const [body, contentType] =
          method === 'PATCH'
            ? [jsonPatch(), 'application/json-patch+json']
            : method === 'DELETE'
              ? [fc.constant(undefined), undefined]
              : [
                  resourceBody(type, method === 'PUT' && !useCriteria ? id : undefined),
                  'application/fhir+json',
                ]
        return fc.record({
          method: fc.constant(method),
          path: fc.tuple(mutatePath(path), query).map(([p, q]) => p + q),
          headers: headerPairs(type, contentType),
          body: body as fc.Arbitrary<string | number[] | undefined>,
          auth: authVariant,
        })
      })
    )
}

/**
 * A search of one of `types` made to be an oracle if it can: a filter through a link to another
 * type that matches the seeded data (linkProbes), with at most one more parameter.
 */
export function linkProbeRequest(types: string[], classes = KNOWN_OPEN): fc.Arbitrary<FuzzRequest> {
  const withProbes = types.filter((t) => linkProbes(t, classes).length)
  if (!withProbes.length) return searchRequest(classes, types)
  return fc.constantFrom(...withProbes).chain((type) =>
    fc
      .tuple(
        fc.constantFrom(...linkProbes(type, classes)),
        fc.option(fc.oneof(plainParam(type), resultParam(type)), { freq: 3 })
      )
      .map(([probe, other]) => ({
        method: 'GET',
        path: `/fhir/${type}?${encodeParams(other ? [probe, other] : [probe], 'encoded')}`,
        headers: [] as [string, string][],
        auth: { kind: 'own' } as AuthVariant,
      }))
  )
}

/** A search request: type search (GET or POST _search) and system search. */
export function searchRequest(classes = KNOWN_OPEN, types = TYPES): fc.Arbitrary<FuzzRequest> {
  return fc.constantFrom(...types).chain((type) =>
    fc
      .oneof(
        {
          arbitrary: searchQuery(type, classes).map((q) => ({
            method: 'GET',
            path: `/fhir/${type}?${q}`,
          })),
          weight: 8,
        },
        {
          arbitrary: searchQuery(type, classes).map((q) => ({
            method: 'POST',
            path: `/fhir/${type}/_search`,
            body: q,
          })),
          weight: 1,
        },
        {
          arbitrary: fc
            .tuple(
              fc.subarray(TYPES, { minLength: 1 }),
              searchQuery('Patient', {
                ...classes,
                chains: true,
                reverseChains: true,
                includes: true,
              })
            )
            .map(([ts, q]) => ({ method: 'GET', path: `/fhir?_type=${ts.join(',')}&${q}` })),
          weight: 1,
        },
        ...(classes.compartments
          ? []
          : [
              {
                arbitrary: fc
                  .tuple(idOf('Patient'), searchQuery(type, classes))
                  .map(([id, q]) => ({ method: 'GET', path: `/fhir/Patient/${id}/${type}?${q}` })),
                weight: 1,
              },
            ])
      )
      .chain((r: { method: string; path: string; body?: string }) =>
        fc.record({
          method: fc.constant(r.method),
          path: fc.constant(r.path),
          headers: headerPairs(
            type,
            r.body === undefined ? undefined : 'application/x-www-form-urlencoded'
          ),
          body: fc.constant(r.body),
          auth: fc.constant({ kind: 'own' } as AuthVariant),
        })
      )
  )
}

// ---------------------------------------------------------------------------------------------
// Batch and transaction Bundles

function entryOf(classes = KNOWN_OPEN): fc.Arbitrary<unknown> {
  const request = typeName.chain((type) =>
    idOf(type).chain((id) =>
      fc
        .constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'get', 'HEAD', 'FOO')
        .chain((method) => {
          const urls: fc.Arbitrary<string>[] = [
            fc.constant(`${type}/${id}`),
            fc.constant(type),
            fc.constant(`${type}/${id}/_history/1`),
            fc.constant(`${type}/${id}/_history`),
            fc.constant(`/fhir/${type}/${id}`),
            fc.constant(`https://fhir.test/fhir/${type}/${id}`),
            fc.constantFrom(
              'metadata',
              '_history',
              '',
              '/',
              '..',
              `${type}/../Encounter/enc-1`,
              `${type}/${id}?_pretty=true`,
              'http://elsewhere.example/fhir/Patient/pt-1'
            ),
            searchQuery(type, classes).map((q) => `${type}?${q}`),
          ]
          if (!classes.conditionalCriteria) urls.push(criteria(type).map((c) => `${type}?${c}`))
          return fc
            .record(
              {
                method: fc.constant(method),
                url: fc.oneof(...urls),
                ifMatch: fc.constantFrom(...ETAGS),
                ifNoneExist: classes.conditionalCriteria
                  ? fc.constantFrom('identifier=urn:x|1', '_id=pt-1')
                  : criteria(type),
                ifNoneMatch: fc.constantFrom(...ETAGS),
              },
              { requiredKeys: ['method', 'url'] }
            )
            .chain((req) => {
              const resource =
                req.method === 'PATCH'
                  ? jsonPatch().map((p) => ({
                      resourceType: 'Binary',
                      contentType: 'application/json-patch+json',
                      data: btoa(p),
                    }))
                  : resourceOf(type, req.method === 'PUT' ? id : undefined)
              return fc.record(
                {
                  fullUrl: fc.constantFrom(
                    'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
                    'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e1',
                    `https://fhir.test/fhir/${type}/${id}`,
                    'not a url'
                  ),
                  request: fc.constant(req),
                  resource,
                },
                { requiredKeys: ['request'] }
              )
            })
        })
    )
  )
  return fc.oneof(
    { arbitrary: request, weight: 12 },
    {
      arbitrary: fc.constantFrom(
        null,
        5,
        'x',
        {},
        [],
        { request: null },
        { request: {} },
        { resource: { resourceType: 'Patient' } },
        {
          request: { method: 'POST', url: 'Bundle' },
          resource: {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [{ request: { method: 'DELETE', url: 'Patient/pt-1' } }],
          },
        }
      ),
      weight: 1,
    }
  )
}

/** A batch or transaction Bundle (sometimes another type, or not a Bundle at all). */
export function bundleRequest(classes = KNOWN_OPEN): fc.Arbitrary<FuzzRequest> {
  const bundle = fc
    .record({
      resourceType: fc.oneof(
        { arbitrary: fc.constant('Bundle'), weight: 12 },
        { arbitrary: fc.constantFrom('Patient', 'bundle', undefined), weight: 1 }
      ),
      type: fc.oneof(
        { arbitrary: fc.constantFrom('batch', 'transaction'), weight: 12 },
        {
          arbitrary: fc.constantFrom('searchset', 'collection', 'history', 'x', undefined),
          weight: 1,
        }
      ),
      entry: fc.oneof(
        { arbitrary: fc.array(entryOf(classes), { maxLength: 8 }), weight: 12 },
        { arbitrary: fc.constantFrom(undefined, null, {}, 'x'), weight: 1 }
      ),
    })
    .map((b) => JSON.stringify(b))
  const deepEntry = fc
    .tuple(fc.constantFrom('batch', 'transaction'), deepJson())
    .map(
      ([type, d]) =>
        `{"resourceType":"Bundle","type":"${type}","entry":[{"request":{"method":"POST",` +
        `"url":"Patient"},"resource":{"resourceType":"Patient","extension":[${d}]}}]}`
    )
  return fc.record({
    method: fc.constant('POST'),
    path: fc.constantFrom('/fhir', '/fhir/', '/fhir?_pretty=true', '/fhir//', '/fhir/Bundle'),
    headers: headerPairs('Patient', 'application/fhir+json'),
    body: fc.oneof(
      { arbitrary: bundle, weight: 12 },
      {
        arbitrary: fc.integer({ min: 450, max: 700 }).map((n) =>
          JSON.stringify({
            resourceType: 'Bundle',
            type: 'batch',
            entry: Array.from({ length: n }, () => ({
              request: { method: 'GET', url: 'Patient/pt-1' },
            })),
          })
        ),
        weight: 1,
      },
      {
        arbitrary: resourceBody('Bundle').map((b) => (typeof b === 'string' ? b : '{')),
        weight: 1,
      },
      { arbitrary: deepEntry, weight: 1 }
    ),
    auth: authVariant,
  })
}

// ---------------------------------------------------------------------------------------------
// Admin and debug API

const ADMIN_IDS = [
  'fuzz-reader',
  'fuzz-reader-policy',
  'fuzz-public-practitioners',
  'fuzz-new',
  'root',
  'a'.repeat(65),
  '..',
  '%2e%2e',
  'x%2Fy',
  '',
]

const matchoPattern = fc.letrec((tie) => ({
  pattern: fc.oneof(
    {
      arbitrary: fc.constantFrom(
        'present?',
        'nil?',
        'not-blank?',
        '#^Pat',
        '#(a+)+',
        '.client.id',
        '.params.resource/type',
        'get',
        1,
        true,
        null
      ),
      weight: 4,
    },
    {
      arbitrary: fc.dictionary(
        fc.constantFrom(
          'request-method',
          'params',
          'resource/type',
          'operation',
          'id',
          'client',
          'body',
          'resourceType',
          '$enum',
          '$not',
          '$contains',
          '$one-of',
          '$every',
          '$reference',
          '$length',
          '$regex'
        ),
        tie('pattern'),
        { maxKeys: 3 }
      ),
      weight: 2,
    },
    { arbitrary: fc.array(tie('pattern'), { maxLength: 3 }), weight: 1 }
  ),
})).pattern

const policyBody = fc.record(
  {
    engine: fc.constantFrom(
      'allow',
      'matcho',
      'sql',
      'json-schema',
      'complex',
      'allow-rpc',
      'clj',
      'x'
    ),
    matcho: matchoPattern,
    sql: fc.record({
      query: fc.constantFrom(
        'SELECT 1',
        "SELECT {{params.resource/id}} = 'pt-1'",
        'SELECT body FROM resource',
        'DELETE FROM resource',
        'SELECT 1; DROP TABLE resource',
        'SELECT * FROM ix_token',
        'SELECT nosuchcolumn FROM resource',
        'PRAGMA table_list',
        "SELECT json_extract(body, '$.identifier[0].value') FROM resource WHERE type = 'Encounter'"
      ),
    }),
    schema: fc.constantFrom(
      { type: 'object' },
      { type: 'object', required: ['client'] },
      { $ref: '#/nope' },
      { type: 'string', pattern: '(a+)+' },
      5
    ),
    and: fc.constant([{ engine: 'allow' }]),
    or: fc.constant([]),
    link: fc.constantFrom(
      [],
      [{ reference: 'Client/fuzz-reader' }],
      [{ reference: 'Operation/FhirRead' }],
      [{ resourceType: 'Client', id: 'x' }],
      'x',
      [{ reference: 'Patient/pt-1' }]
    ),
    roleName: fc.constant('admin'),
  },
  { requiredKeys: ['engine'] }
)

const clientBody = fc.record(
  {
    id: fc.constantFrom('fuzz-new', 'fuzz-reader', 'other'),
    secret: fc.oneof(
      fc.constantFrom('', 'pbkdf2-sha256$100000$AAAA$BBBB', 'x'.repeat(600), 5),
      fc.string({ maxLength: 20 })
    ),
    grant_types: fc.constantFrom(['basic'], ['password'], 'basic', [5], []),
    active: fc.constantFrom(true, false, 'no'),
    resourceType: fc.constantFrom('Client', 'AccessPolicy'),
    meta: fc.constant({ versionId: '9' }),
  },
  { requiredKeys: [] }
)

const debugRequest = fc.record(
  {
    method: fc.constantFrom('get', 'POST', 'delete', 'x'),
    uri: fc.constantFrom(
      '/fhir/Patient/pt-1',
      '/fhir/Encounter?subject=pt-1',
      '/Client/fuzz-reader',
      '/fhir',
      '/nope',
      '/fhir/Patient/pt-1?x=1'
    ),
    headers: fc.constantFrom(
      {},
      { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
      { authorization: 'Bearer x.y' }
    ),
    'client-id': fc.constantFrom('fuzz-reader', 'nobody', 'root'),
    'user-id': fc.constant('u'),
    params: fc.constant({ 'resource/type': 'Encounter' }),
  },
  { requiredKeys: [] }
)

/** Requests to /Client, /AccessPolicy, /$matcho and /auth/test-policy. */
export const adminRequest = (): fc.Arbitrary<FuzzRequest> =>
  fc.oneof(
    fc
      .tuple(
        fc.constantFrom('Client', 'AccessPolicy'),
        fc.constantFrom(...ADMIN_IDS),
        fc.constantFrom('GET', 'PUT', 'DELETE', 'POST', 'PATCH')
      )
      .chain(([kind, id, method]) =>
        fc.record({
          method: fc.constant(method),
          path: mutatePath(`/${kind}/${id}`),
          headers: headerPairs(
            'Patient',
            method === 'PUT' || method === 'POST' ? 'application/json' : undefined
          ),
          body:
            method === 'PUT' || method === 'POST'
              ? fc.oneof(
                  {
                    arbitrary: (kind === 'Client' ? clientBody : policyBody).map((b) =>
                      JSON.stringify(b)
                    ),
                    weight: 8,
                  },
                  {
                    arbitrary: deepJson().map((d) =>
                      kind === 'Client'
                        ? `{"secret":"s3cret","grant_types":["basic"],"x":${d}}`
                        : `{"engine":"matcho","matcho":{"a":"present?"},"link":[{"reference":"Client/fuzz-new"}],"x":${d}}`
                    ),
                    weight: 1,
                  }
                )
              : fc.constant(undefined),
          auth: authVariant,
        })
      ),
    fc.record({
      method: fc.constantFrom('POST', 'POST', 'GET'),
      path: fc.constantFrom(
        '/$matcho',
        '/%24matcho',
        '/$matcho/',
        '/auth/test-policy',
        '/auth/test-policy?resource/type=Patient',
        '/auth//test-policy'
      ),
      headers: headerPairs('Patient', 'application/json'),
      body: fc.oneof(
        fc
          .record(
            {
              matcho: matchoPattern,
              resource: fc.jsonValue({ maxDepth: 3 }),
              context: fc.jsonValue({ maxDepth: 2 }),
            },
            { requiredKeys: [] }
          )
          .map((b) => JSON.stringify(b)),
        fc
          .record({ request: debugRequest, policy: policyBody }, { requiredKeys: [] })
          .map((b) => JSON.stringify(b)),
        deepJson().map((d) => `{"matcho":${d},"resource":{}}`),
        deepJson().map(
          (d) => `{"request":{"uri":"/fhir/Patient","body":${d}},"policy":{"engine":"allow"}}`
        ),
        fc.constantFrom('', '{', '[]')
      ),
      auth: authVariant,
    })
  )

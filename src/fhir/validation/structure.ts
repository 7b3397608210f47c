// The R4 element table of the validator: reads a row of validation.generated.ts on first use (never at
// module load) and answers, for a type or backbone path, its elements with their inherited ones, and
// which JSON property names they accept (`valueQuantity` for the choice `value[x]`).
import { CODES, STRUCTURE } from '../definitions/validation.generated.ts'

export interface ElementDef {
  /** The element name without `[x]`. */
  name: string
  types: readonly string[]
  choice: boolean
  min: number
  max: '1' | '*'
  /** The codes a required binding allows (code elements with an enumerable value set only). */
  codes?: ReadonlySet<string>
}

/** A JSON property of a type: its element and the type that property name selects. */
export interface PropertyDef {
  def: ElementDef
  type: string
}

export interface TypeStructure {
  elements: readonly ElementDef[]
  properties: ReadonlyMap<string, PropertyDef>
}

const parsed = new Map<string, TypeStructure | null>()
const codeSets = new Map<number, ReadonlySet<string>>()

function codeSet(index: number): ReadonlySet<string> {
  let set = codeSets.get(index)
  if (!set) codeSets.set(index, (set = new Set(CODES[index].split('|'))))
  return set
}

/** One `name:types[:card[:codes]]` entry of the row of `owner`. */
function parseEntry(entry: string, owner: string): ElementDef {
  const [rawName, types, card = '', codes] = entry.split(':')
  const choice = rawName.endsWith('[x]')
  const def: ElementDef = {
    name: choice ? rawName.slice(0, -3) : rawName,
    types: types === '.' ? [`${owner}.${rawName}`] : types.split(','),
    choice,
    min: card === '1' || card === '+' ? 1 : 0,
    max: card === '*' || card === '+' ? '*' : '1',
  }
  if (codes) def.codes = codeSet(Number(codes))
  return def
}

const capitalize = (s: string) => s[0].toUpperCase() + s.slice(1)

/** The structure of a complex type, resource type or backbone path; undefined when unknown. */
export function structureOf(type: string): TypeStructure | undefined {
  const cached = parsed.get(type)
  if (cached !== undefined) return cached ?? undefined
  const row = Object.hasOwn(STRUCTURE, type) ? STRUCTURE[type] : undefined
  if (row === undefined) {
    parsed.set(type, null)
    return undefined
  }
  const bar = row.indexOf('|')
  const base = row.slice(0, bar)
  const own = row.slice(bar + 1)
  const inherited = base ? (structureOf(base)?.elements ?? []) : []
  const elements = [...inherited, ...(own ? own.split(' ').map((e) => parseEntry(e, type)) : [])]
  const properties = new Map<string, PropertyDef>()
  for (const def of elements) {
    if (!def.choice) properties.set(def.name, { def, type: def.types[0] })
    else for (const t of def.types) properties.set(def.name + capitalize(t), { def, type: t })
  }
  const structure = { elements, properties }
  parsed.set(type, structure)
  return structure
}

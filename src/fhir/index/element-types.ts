// FHIR type knowledge for the FHIRPath evaluator: element types along search paths (choice elements
// included) and the type hierarchy, both read lazily from the generated tables once per isolate.
import { ELEMENT_TYPES, TYPE_BASE } from '../definitions/element-types.generated.ts'

export interface ElementInfo {
  /** FHIR type codes, or a backbone element's path (e.g. `Observation.component`). */
  types: readonly string[]
  /** A choice element `name[x]`: in JSON `name` + the capitalised type, e.g. valueQuantity. */
  choice: boolean
}

const parsed = new Map<string, Map<string, ElementInfo>>()

/** Own entries only: type names can come from resource bodies (`"resourceType": "toString"`). */
function own(table: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined
}

function elementsOf(type: string): Map<string, ElementInfo> | undefined {
  let map = parsed.get(type)
  if (map) return map
  const spec = own(ELEMENT_TYPES, type)
  if (spec === undefined) return undefined
  map = new Map()
  for (const entry of spec.split(' ')) {
    const [name, types] = entry.split(':')
    const choice = name.endsWith('[x]')
    map.set(choice ? name.slice(0, -3) : name, { types: types.split(','), choice })
  }
  parsed.set(type, map)
  return map
}

/** The parent type in the FHIR hierarchy (backbone elements derive from BackboneElement). */
export function baseType(type: string): string | undefined {
  return own(TYPE_BASE, type) ?? (type.includes('.') ? 'BackboneElement' : undefined)
}

/** Definition of element `name` on `type` or on one of its ancestors. */
export function elementInfo(type: string, name: string): ElementInfo | undefined {
  for (let t: string | undefined = type; t; t = baseType(t)) {
    const info = elementsOf(t)?.get(name)
    if (info) return info
  }
  return undefined
}

const SYSTEM_TYPES: Record<string, string> = {
  String: 'string',
  Boolean: 'boolean',
  Integer: 'integer',
  Decimal: 'decimal',
  Date: 'date',
  DateTime: 'dateTime',
  Time: 'time',
}

/** A type specifier (`Quantity`, `FHIR.dateTime`, `System.String`, `DateTime`) as a FHIR type. */
export function fhirTypeName(spec: string): string {
  const dot = spec.indexOf('.')
  const ns = dot < 0 ? '' : spec.slice(0, dot)
  const name = dot < 0 ? spec : spec.slice(dot + 1)
  if (ns === 'System' || (ns === '' && own(TYPE_BASE, name) === undefined)) {
    return own(SYSTEM_TYPES, name) ?? name
  }
  return name
}

/** `type` is `of` or derives from it (FHIRPath `is`: Age is a Quantity, code is a string). */
export function isSubtype(type: string | undefined, of: string): boolean {
  for (let t = type; t; t = baseType(t)) if (t === of) return true
  return false
}

/** `dateTime` → `DateTime`: the suffix of a choice element's JSON name. */
export function choiceSuffix(type: string): string {
  return type[0].toUpperCase() + type.slice(1)
}

// Validates a FHIR R4 resource in JSON against the base definitions: known resource type and
// elements, primitives' JSON types and patterns, arrays exactly where max is `*`, cardinality, one
// type per choice, required bindings with enumerable value sets and well-formed references. Pure:
// returns every problem at once, in document order; docs/validation.md lists what is checked.
import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import { PRIMITIVE_TYPES, primitiveProblem } from './primitives.ts'
import { referenceProblem } from './references.ts'
import { structureOf } from './structure.ts'
import type { PropertyDef } from './structure.ts'

/** One problem, shaped like an OperationOutcome issue (`expression` is the FHIRPath location). */
export interface ValidationIssue {
  severity: 'error'
  code: 'structure' | 'value' | 'required' | 'code-invalid' | 'invariant'
  expression: string
  diagnostics: string
}

type Obj = Record<string, unknown>

interface Ctx {
  issues: ValidationIssue[]
  /** Ids of the contained resources of the resource being validated (`#id` references). */
  contained: ReadonlySet<string>
}

const KNOWN_TYPES: ReadonlySet<string> = new Set(RESOURCE_TYPES)
const ELE_1 = 'ele-1: all FHIR elements must have a @value or children'

const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function issue(ctx: Ctx, code: ValidationIssue['code'], expression: string, diagnostics: string) {
  ctx.issues.push({ severity: 'error', code, expression, diagnostics })
}

/** Every problem of `resource` against the R4 base definitions; empty when it is valid. */
export function validateResource(resource: unknown): ValidationIssue[] {
  const ctx: Ctx = { issues: [], contained: new Set() }
  checkResource(resource, '', ctx, false)
  return ctx.issues
}

/** A resource at `path` ('' for the root): a root, a Bundle entry's, or `contained` (shares ctx). */
function checkResource(value: unknown, path: string, outer: Ctx, contained: boolean): void {
  if (!isObject(value)) {
    issue(outer, 'structure', path || 'Resource', 'a resource must be a JSON object')
    return
  }
  const type = value.resourceType
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    const what = typeof type === 'string' ? `'${type}' is not` : 'resourceType is missing or not'
    issue(
      outer,
      'structure',
      `${path || 'Resource'}.resourceType`,
      `${what} a FHIR R4 resource type`
    )
    return
  }
  let ctx = outer
  if (!contained) {
    const list = Array.isArray(value.contained) ? value.contained : []
    const ids = list.flatMap((r) => (isObject(r) && typeof r.id === 'string' ? [r.id] : []))
    ctx = { issues: outer.issues, contained: new Set(ids) }
  }
  checkObject(value, type, path || type, ctx, true)
}

/**
 * An object of complex type, backbone path or resource type `type`, at `path`. Below a resource root
 * it must have a child other than `id` (ele-1), or, for a primitive's `_element`, a value beside it.
 */
function checkObject(
  obj: Obj,
  type: string,
  path: string,
  ctx: Ctx,
  resourceRoot: boolean,
  hasValue = false
): void {
  const structure = structureOf(type)
  if (!structure) throw new Error(`no structure for ${type}`)
  const keys = Object.keys(obj)
  const onlyId = keys.every((k) => k === 'id' || obj[k] === undefined)
  if (!keys.length || (!resourceRoot && !hasValue && onlyId))
    return issue(ctx, 'invariant', path, ELE_1)
  const choices = new Map<string, string>()
  const present = new Set<string>()
  for (const key of keys) {
    if (obj[key] === undefined) continue // not JSON: absent, as JSON.stringify would write it
    if (key === 'resourceType') {
      if (!resourceRoot)
        issue(
          ctx,
          'structure',
          `${path}.resourceType`,
          'resourceType is only allowed on a resource'
        )
      continue
    }
    const companion = key.length > 1 && key.startsWith('_')
    const name = companion ? key.slice(1) : key
    const prop = structure.properties.get(name)
    if (!prop || (companion && !PRIMITIVE_TYPES.has(prop.type))) {
      const why = prop ? `'${key}' is only allowed next to a primitive element` : 'unknown element'
      issue(ctx, 'structure', `${path}.${key}`, `${why} '${key}' in ${type}`)
      continue
    }
    const { def } = prop
    const at = def.choice ? `${path}.${def.name}.ofType(${prop.type})` : `${path}.${name}`
    if (def.choice) {
      const other = choices.get(def.name)
      if (other !== undefined && other !== name) {
        const msg = `${def.name}[x] has more than one type: '${other}' and '${name}'`
        issue(ctx, 'structure', at, msg)
      }
      choices.set(def.name, name)
    }
    present.add(def.name)
    if (companion) checkCompanion(obj[key], obj[name], prop, at, ctx)
    else checkElement(obj[key], obj[`_${key}`], prop, at, ctx)
  }
  for (const def of structure.elements) {
    if (def.min > 0 && !present.has(def.name)) {
      const msg = `${def.name} is required (min ${def.min}) in ${type}`
      issue(ctx, 'required', `${path}.${def.name}`, msg)
    }
  }
}

/** The value of an element (single or array per its max); `companion` is its `_name` if any. */
function checkElement(value: unknown, companion: unknown, prop: PropertyDef, at: string, ctx: Ctx) {
  const { def } = prop
  if (def.max === '1') {
    if (Array.isArray(value))
      issue(ctx, 'structure', at, `${def.name} must be a single value, not an array`)
    else checkValue(value, prop, at, ctx)
    return
  }
  if (!Array.isArray(value)) {
    issue(ctx, 'structure', at, `${def.name} must be an array (max *)`)
    if (value !== null) checkValue(value, prop, at, ctx)
    return
  }
  if (!value.length) return issue(ctx, 'structure', at, `${def.name} must not be an empty array`)
  const extensions = Array.isArray(companion) ? companion : []
  value.forEach((item, i) => {
    if (item === null && PRIMITIVE_TYPES.has(prop.type) && isObject(extensions[i])) return
    checkValue(item, prop, `${at}[${i}]`, ctx)
  })
}

/** `_name` beside a primitive: an Element (id, extension), or an array aligned with the values. */
function checkCompanion(
  value: unknown,
  primitive: unknown,
  prop: PropertyDef,
  at: string,
  ctx: Ctx
) {
  if (prop.def.max === '1') {
    const hasValue = primitive !== undefined && primitive !== null
    if (isObject(value)) checkObject(value, 'Element', at, ctx, false, hasValue)
    else issue(ctx, 'structure', at, `_${prop.def.name} must be an object with id or extension`)
    return
  }
  if (!Array.isArray(value) || !value.length) {
    return issue(ctx, 'structure', at, `_${prop.def.name} must be a non-empty array`)
  }
  if (Array.isArray(primitive) && primitive.length !== value.length) {
    const msg = `_${prop.def.name} has ${value.length} entries, ${prop.def.name} has ${primitive.length}`
    issue(ctx, 'structure', at, msg)
  }
  value.forEach((item, i) => {
    if (item === null) return
    const hasValue = Array.isArray(primitive) && primitive[i] !== null && primitive[i] !== undefined
    if (isObject(item)) checkObject(item, 'Element', `${at}[${i}]`, ctx, false, hasValue)
    else issue(ctx, 'structure', `${at}[${i}]`, 'must be null or an object with id or extension')
  })
}

/** One value of type `prop.type`: a primitive, a resource, or an object of a complex type. */
function checkValue(value: unknown, prop: PropertyDef, at: string, ctx: Ctx): void {
  const { type, def } = prop
  if (value === null) return issue(ctx, 'structure', at, `null is not a value of ${def.name}`)
  if (PRIMITIVE_TYPES.has(type)) {
    if (typeof value === 'object')
      return issue(ctx, 'structure', at, `${def.name} is a ${type}, not an object or array`)
    const problem = primitiveProblem(type, value)
    if (problem) return issue(ctx, 'value', at, problem)
    if (def.codes && !def.codes.has(value as string)) {
      const allowed = [...def.codes].slice(0, 12).join(', ')
      const more = def.codes.size > 12 ? ', ...' : ''
      issue(
        ctx,
        'code-invalid',
        at,
        `'${value}' is not in the required value set (${allowed}${more})`
      )
    }
    return
  }
  if (type === 'Resource') return checkResource(value, at, ctx, def.name === 'contained')
  if (!isObject(value))
    return issue(ctx, 'structure', at, `${def.name} must be an object (${type})`)
  checkObject(value, type, at, ctx, false)
  if (type === 'Reference' && typeof value.reference === 'string' && value.reference) {
    const problem = referenceProblem(value.reference, ctx.contained)
    if (problem) issue(ctx, 'value', `${at}.reference`, problem)
  }
}

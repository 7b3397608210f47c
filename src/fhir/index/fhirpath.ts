// FHIRPath evaluator for search parameter expressions (the subset fhirpath-parse.ts accepts). Items
// carry their FHIR type, taken from the generated element table, so choice elements resolve
// (`Observation.value` reads valueQuantity, valueString, ...) and the extractor knows datatypes.
import { FhirPathSyntaxError, parseFhirPath } from './fhirpath-parse.ts'
import type { BinaryOp, FpNode } from './fhirpath-parse.ts'
import { choiceSuffix, elementInfo, fhirTypeName, isSubtype } from './element-types.ts'
import { ID } from '../../lib/ids.ts'

/** One value of a FHIRPath collection: the JSON value and its FHIR type (undefined if unknown). */
export interface FpItem {
  value: unknown
  type: string | undefined
}

interface Ctx {
  root: FpItem
}

type Obj = Record<string, unknown>

const compiled = new Map<string, FpNode | null>()

/** Parses an expression once per isolate; undefined when it is outside the supported subset. */
export function compileFhirPath(expr: string): FpNode | undefined {
  let node = compiled.get(expr)
  if (node === undefined) {
    try {
      node = parseFhirPath(expr)
    } catch (e) {
      if (!(e instanceof FhirPathSyntaxError)) throw e
      node = null
    }
    compiled.set(expr, node)
  }
  return node ?? undefined
}

/** Evaluates an expression on a resource; throws FhirPathSyntaxError for unsupported syntax. */
export function evaluateFhirPath(expr: string | FpNode, resource: Obj): FpItem[] {
  const node = typeof expr === 'string' ? compileFhirPath(expr) : expr
  if (!node) throw new FhirPathSyntaxError(`unsupported expression: ${String(expr)}`)
  const type = typeof resource.resourceType === 'string' ? resource.resourceType : undefined
  const root = { value: resource, type }
  return ev(node, [root], { root })
}

/** Evaluates a compiled expression with `focus` as its input and `root` as %resource (composites). */
export function evaluateFhirPathOn(node: FpNode, focus: FpItem, root: FpItem): FpItem[] {
  return ev(node, [focus], { root })
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function push(out: FpItem[], value: unknown, type: string | undefined): void {
  if (Array.isArray(value)) for (const v of value) push(out, v, type)
  else if (value !== undefined && value !== null) {
    if ((type === undefined || type === 'Resource') && isObj(value)) {
      if (typeof value.resourceType === 'string') type = value.resourceType
    }
    out.push({ value, type })
  }
}

/** The values of element `name` of one item (all present choice types for a `name[x]` element). */
function children(item: FpItem, name: string): FpItem[] {
  const out: FpItem[] = []
  if (!isObj(item.value)) return out
  const info = item.type === undefined ? undefined : elementInfo(item.type, name)
  if (info?.choice) for (const t of info.types) push(out, item.value[name + choiceSuffix(t)], t)
  else push(out, item.value[name], info?.types[0])
  return out
}

/** `Type/id`, optionally versioned, at the end of a relative or absolute reference. */
const LOCAL_REF = new RegExp(`(?:^|/)([A-Z][A-Za-z]+)/${ID}(?:/_history/[^/]{1,64})?$`)

/** resolve(): nothing is fetched, but the reference names its type (enough for `is X`). */
function resolveRef(item: FpItem, ctx: Ctx): FpItem[] {
  const v = item.value
  if (!isObj(v)) return []
  if (typeof v.resourceType === 'string') return [item]
  const ref = v.reference
  if (typeof ref === 'string' && ref.startsWith('#')) {
    const contained = isObj(ctx.root.value) ? ctx.root.value.contained : undefined
    const found = Array.isArray(contained)
      ? contained.find((c) => isObj(c) && c.id === ref.slice(1))
      : undefined
    return isObj(found) && typeof found.resourceType === 'string'
      ? [{ value: found, type: found.resourceType }]
      : []
  }
  let type = typeof ref === 'string' ? LOCAL_REF.exec(ref)?.[1] : undefined
  if (!type && typeof v.type === 'string') type = v.type.slice(v.type.lastIndexOf('/') + 1)
  return type && isSubtype(type, 'Resource') ? [{ value: { resourceType: type }, type }] : []
}

function bool(b: boolean): FpItem[] {
  return [{ value: b, type: 'boolean' }]
}

/** Singleton evaluation of collections in a boolean context (FHIRPath N1 §Singleton Evaluation). */
function toBool(items: FpItem[]): boolean | undefined {
  if (items.length !== 1) return undefined
  return typeof items[0].value === 'boolean' ? items[0].value : true
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  if (ka.length !== kb.length) return false
  return ka.every((k) => deepEqual((a as Obj)[k], (b as Obj)[k]))
}

function equivalent(a: unknown, b: unknown): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim()
  if (typeof a === 'string' && typeof b === 'string') return norm(a) === norm(b)
  return deepEqual(a, b)
}

function union(a: FpItem[], b: FpItem[]): FpItem[] {
  const seen = new Set<unknown>()
  const out: FpItem[] = []
  for (const it of [...a, ...b]) {
    const key = isObj(it.value) ? it.value : `${typeof it.value}:${String(it.value)}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push(it)
    }
  }
  return out
}

function binary(op: BinaryOp, l: FpItem[], r: FpItem[]): FpItem[] {
  switch (op) {
    case '|':
      return union(l, r)
    case 'and':
    case 'or':
    case 'xor':
    case 'implies': {
      const a = toBool(l)
      const b = toBool(r)
      if (op === 'and') return a === false || b === false ? bool(false) : a && b ? bool(true) : []
      if (op === 'or') return a || b ? bool(true) : a === false && b === false ? bool(false) : []
      if (op === 'xor') return a === undefined || b === undefined ? [] : bool(a !== b)
      if (a === false || b === true) return bool(true)
      return a === undefined || b === undefined ? [] : bool(false)
    }
    case '=':
    case '!=':
    case '~':
    case '!~': {
      const strict = op === '=' || op === '!='
      if (strict && (l.length === 0 || r.length === 0)) return []
      const eq = strict ? deepEqual : equivalent
      const same = l.length === r.length && l.every((it, i) => eq(it.value, r[i].value))
      return bool(op[0] === '!' ? !same : same)
    }
    default: {
      if (l.length !== 1 || r.length !== 1) return []
      const a = l[0].value
      const b = r[0].value
      if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return []
      const x = a as number | string
      const y = b as number | string
      return bool(op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : x >= y)
    }
  }
}

function call(node: FpNode & { k: 'call' }, items: FpItem[], ctx: Ctx): FpItem[] {
  const arg = node.args[0]
  const typeArg = () => fhirTypeName(String((arg as { v: unknown }).v))
  switch (node.name) {
    case 'where':
      return items.filter((it) => toBool(ev(arg, [it], ctx)) === true)
    case 'exists':
      if (arg) return bool(items.some((it) => toBool(ev(arg, [it], ctx)) === true))
      return bool(items.length > 0)
    case 'empty':
      return bool(items.length === 0)
    case 'not': {
      const b = toBool(items)
      return b === undefined ? [] : bool(!b)
    }
    case 'first':
      return items.slice(0, 1)
    case 'last':
      return items.slice(-1)
    case 'count':
      return [{ value: items.length, type: 'integer' }]
    case 'hasValue':
      return bool(items.length === 1 && !isObj(items[0].value))
    case 'resolve':
      return items.flatMap((it) => resolveRef(it, ctx))
    case 'extension': {
      const url = ev(arg, items, ctx)[0]?.value
      const out: FpItem[] = []
      for (const it of items) if (isObj(it.value)) push(out, it.value.extension, 'Extension')
      return out.filter((ext) => isObj(ext.value) && ext.value.url === url)
    }
    case 'ofType':
    case 'as': {
      const t = typeArg()
      return items.filter((it) => isSubtype(it.type, t))
    }
    case 'is':
      return items.length === 1 ? bool(isSubtype(items[0].type, typeArg())) : []
  }
  throw new FhirPathSyntaxError(`unsupported function ${node.name}()`)
}

function ev(node: FpNode, focus: FpItem[], ctx: Ctx): FpItem[] {
  switch (node.k) {
    case 'this':
      return focus
    case 'empty':
      return []
    case 'lit': {
      const v = node.v
      const type = typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'decimal') : typeof v
      return [{ value: v, type }]
    }
    case 'var':
      if (node.name === 'ucum') return [{ value: 'http://unitsofmeasure.org', type: 'string' }]
      if (node.name === 'sct') return [{ value: 'http://snomed.info/sct', type: 'string' }]
      if (node.name === 'loinc') return [{ value: 'http://loinc.org', type: 'string' }]
      return [ctx.root]
    case 'member': {
      const src = ev(node.src, focus, ctx)
      // A leading type name selects the focus when it is of that type (`Observation.code`).
      if (node.root && /^[A-Z]/.test(node.name)) {
        return src.filter((it) => isSubtype(it.type, fhirTypeName(node.name)))
      }
      return src.flatMap((it) => children(it, node.name))
    }
    case 'call':
      return call(node, ev(node.src, focus, ctx), ctx)
    case 'index': {
      const i = ev(node.index, focus, ctx)[0]?.value
      const item = typeof i === 'number' ? ev(node.src, focus, ctx)[i] : undefined
      return item ? [item] : []
    }
    case 'bin':
      return binary(node.op, ev(node.l, focus, ctx), ev(node.r, focus, ctx))
    case 'type': {
      const src = ev(node.src, focus, ctx)
      const t = fhirTypeName(node.type)
      if (node.op === 'as') return src.filter((it) => isSubtype(it.type, t))
      return src.length === 1 ? bool(isSubtype(src[0].type, t)) : []
    }
  }
}

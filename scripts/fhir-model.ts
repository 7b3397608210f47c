// FHIR R4 type model for scripts/gen-definitions.ts: element types from StructureDefinition
// snapshots, the type hierarchy, and a static type walk of parsed FHIRPath that checks each step of
// a search expression exists and records the elements it navigates (the evaluator's element table).
import type { FpNode } from '../src/fhir/index/fhirpath-parse.ts'

interface ElementDefinitionJson {
  path: string
  base?: { path: string }
  contentReference?: string
  type?: { code: string; extension?: { url: string; valueUrl?: string }[] }[]
}

export interface StructureDefinitionJson {
  resourceType: string
  id: string
  kind?: string
  abstract?: boolean
  derivation?: string
  fhirVersion?: string
  baseDefinition?: string
  snapshot?: { element: ElementDefinitionJson[] }
}

interface Element {
  types: string[]
  choice: boolean
  /** The type that introduces the element (Resource for `meta`, Quantity for Age.value). */
  declaredIn: string
}

const FHIR_TYPE_EXT = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type'
const SYSTEM_TYPES: Record<string, string> = {
  String: 'string',
  Boolean: 'boolean',
  Integer: 'integer',
  Decimal: 'decimal',
  Date: 'date',
  DateTime: 'dateTime',
  Time: 'time',
}
const BOOLEAN = new Set(['boolean'])
const ROOT_VARIABLES = ['resource', 'rootResource', 'context']

export class FhirModel {
  readonly resourceTypes: string[] = []
  readonly typeBase = new Map<string, string>()
  private readonly elements = new Map<string, Map<string, Element>>()
  private readonly used = new Map<string, Map<string, string>>()

  constructor(definitions: StructureDefinitionJson[]) {
    for (const sd of definitions) {
      if (sd.resourceType !== 'StructureDefinition' || sd.kind === 'logical') continue
      if (sd.fhirVersion !== '4.0.1') continue // Medplum also ships R4B's SubscriptionStatus
      if (sd.baseDefinition) this.typeBase.set(sd.id, sd.baseDefinition.split('/').pop()!)
      if (sd.kind === 'resource' && sd.derivation === 'specialization' && !sd.abstract) {
        this.resourceTypes.push(sd.id)
      }
      if (sd.derivation !== 'constraint' && sd.kind !== 'primitive-type') this.addElements(sd)
    }
    this.resourceTypes.sort()
    this.typeBase = new Map([...this.typeBase].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
  }

  private addElements(sd: StructureDefinitionJson): void {
    const els = sd.snapshot?.element ?? []
    const paths = new Set(els.map((e) => e.path))
    for (const el of els) {
      const dot = el.path.lastIndexOf('.')
      if (dot < 0) continue
      const parent = el.path.slice(0, dot)
      const raw = el.path.slice(dot + 1)
      const choice = raw.endsWith('[x]')
      const hasChildren = [...paths].some((p) => p.startsWith(`${el.path}.`))
      let types = (el.type ?? []).map((t) =>
        t.code.startsWith('http://hl7.org/fhirpath/System.')
          ? (t.extension?.find((x) => x.url === FHIR_TYPE_EXT)?.valueUrl ?? 'string')
          : t.code
      )
      if (el.contentReference) types = [el.contentReference.slice(1)]
      else if (hasChildren && ['BackboneElement', 'Element'].includes(types[0])) types = [el.path]
      const basePath = el.base?.path ?? el.path
      const baseParent = basePath.slice(0, basePath.lastIndexOf('.'))
      const declaredIn = basePath !== el.path && !baseParent.includes('.') ? baseParent : parent
      const map = this.elements.get(parent) ?? new Map<string, Element>()
      map.set(choice ? raw.slice(0, -3) : raw, { types, choice, declaredIn })
      this.elements.set(parent, map)
    }
  }

  private baseOf(type: string): string | undefined {
    return this.typeBase.get(type) ?? (type.includes('.') ? 'BackboneElement' : undefined)
  }

  isSubtype(type: string, of: string): boolean {
    for (let t: string | undefined = type; t; t = this.baseOf(t)) if (t === of) return true
    return false
  }

  /** Same resolution as element-types.ts fhirTypeName, against the in-memory model. */
  private typeName(spec: string): string {
    const [ns, name] = spec.includes('.') ? spec.split('.') : ['', spec]
    const known = this.typeBase.has(name) || this.elements.has(name)
    return ns === 'System' || (ns === '' && !known) ? (SYSTEM_TYPES[name] ?? name) : name
  }

  private lookup(type: string, name: string): Element | undefined {
    for (let t: string | undefined = type; t; t = this.baseOf(t)) {
      const el = this.elements.get(t)?.get(name)
      if (el) return el
    }
    return undefined
  }

  /** Records that the runtime table needs `type.name`; returns its types. */
  include(type: string, name: string): string[] {
    const el = this.lookup(type, name)
    if (!el) throw new Error(`no element ${type}.${name}`)
    const entries = this.used.get(el.declaredIn) ?? new Map<string, string>()
    entries.set(name, `${name}${el.choice ? '[x]' : ''}:${el.types.join(',')}`)
    this.used.set(el.declaredIn, entries)
    return el.types
  }

  usedElements(): Map<string, string[]> {
    const sorted = [...this.used].sort((a, b) => (a[0] < b[0] ? -1 : 1))
    return new Map(sorted.map(([t, m]) => [t, [...m.keys()].sort().map((k) => m.get(k)!)]))
  }

  /** Static result types of `node` evaluated on `focus`; throws when a step cannot exist. */
  walk(node: FpNode, root: string, focus: Set<string> = new Set([root])): Set<string> {
    switch (node.k) {
      case 'this':
        return focus
      case 'empty':
        return new Set()
      case 'lit':
        return new Set([typeof node.v === 'number' ? 'decimal' : typeof node.v])
      case 'var':
        return new Set([ROOT_VARIABLES.includes(node.name) ? root : 'string'])
      case 'member': {
        const src = this.walk(node.src, root, focus)
        if (node.root && /^[A-Z]/.test(node.name)) {
          const t = this.typeName(node.name)
          const hit = [...src].filter((s) => this.isSubtype(s, t))
          if (!hit.length) throw new Error(`${node.name} is not the type of ${[...src]}`)
          return new Set(hit)
        }
        const out = new Set<string>()
        for (const t of src) {
          if (this.lookup(t, node.name)) for (const x of this.include(t, node.name)) out.add(x)
        }
        if (!out.size) throw new Error(`no element ${node.name} on ${[...src].join('|')}`)
        return out
      }
      case 'call': {
        const src = this.walk(node.src, root, focus)
        const arg = node.args[0]
        switch (node.name) {
          case 'where':
            this.walk(arg, root, src)
            return src
          case 'first':
          case 'last':
            return src
          case 'count':
            return new Set(['integer'])
          case 'resolve':
            return new Set(['Resource'])
          case 'extension':
            return new Set(['Extension'])
          case 'ofType':
          case 'as':
            return this.narrow(src, String((arg as { v: unknown }).v))
          default:
            if (arg) this.walk(arg, root, src)
            return BOOLEAN
        }
      }
      case 'index':
        this.walk(node.index, root, focus)
        return this.walk(node.src, root, focus)
      case 'bin': {
        const l = this.walk(node.l, root, focus)
        const r = this.walk(node.r, root, focus)
        return node.op === '|' ? new Set([...l, ...r]) : BOOLEAN
      }
      case 'type': {
        const src = this.walk(node.src, root, focus)
        return node.op === 'as' ? this.narrow(src, node.type) : BOOLEAN
      }
    }
  }

  private narrow(src: Set<string>, spec: string): Set<string> {
    const t = this.typeName(spec)
    const out = new Set<string>()
    for (const s of src) {
      if (this.isSubtype(s, t)) out.add(s)
      else if (this.isSubtype(t, s)) out.add(t)
    }
    if (!out.size) throw new Error(`ofType(${spec}) never matches ${[...src].join('|')}`)
    return out
  }
}

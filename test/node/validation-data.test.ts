// The resource validator (src/fhir/validation) on real data: every resource of the shipped demo seed
// (seed/fhir/*.ndjson) and of a generated set validates with no issues against the R4 base
// definitions (R4 validation.html: the data the server ships must be valid FHIR).
import { describe, expect, it } from 'vitest'
import { validateResource } from '../../src/fhir/validation/validate.ts'
import { generated, shipped } from './seed-helpers.ts'

/** `Type/id: issues` for each resource that does not validate. */
function failures(resources: { resourceType: string; id?: string }[]): string[] {
  return resources.flatMap((r) => {
    const issues = validateResource(r)
    return issues.length ? [`${r.resourceType}/${r.id}: ${JSON.stringify(issues)}`] : []
  })
}

describe('demo data validates against the R4 base definitions', () => {
  it('accepts every resource of the shipped seed/fhir', () => {
    expect(shipped.length).toBeGreaterThan(500)
    expect(failures(shipped)).toEqual([])
  })

  it('accepts every resource the seed generator writes (60 patients, seed 42)', () => {
    expect(failures(generated)).toEqual([])
  })
})

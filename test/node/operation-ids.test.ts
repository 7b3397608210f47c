// Each operation id (Aidbox's names for what a route does, e.g. FhirSearch) is written in exactly one
// source file: the FHIR ones in the interaction table, the debug ones in their route table. Every
// other module asks the table, so adding or renaming an interaction is a one-row change.

import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = path.resolve(import.meta.dirname, '../../src')
const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'))
/** Quoted operation ids: Fhir* and Debug* names (FhirError is a class name, not an operation). */
const OPERATION = /['"`]((?:Fhir|Debug)[A-Z][A-Za-z]*)['"`]/g

function filesNaming(): Map<string, Set<string>> {
  const found = new Map<string, Set<string>>()
  for (const file of files) {
    for (const [, id] of readFileSync(path.join(SRC, file), 'utf8').matchAll(OPERATION)) {
      if (id === 'FhirError') continue
      const set = found.get(id!) ?? new Set<string>()
      set.add(file)
      found.set(id!, set)
    }
  }
  return found
}

describe('operation ids', () => {
  it('are each written in one source file only', () => {
    const found = filesNaming()
    expect(found.get('FhirSearch')).toEqual(new Set([path.join('fhir', 'interactions.ts')]))
    expect(found.size).toBeGreaterThan(10)
    const spread = [...found]
      .filter(([, where]) => where.size > 1)
      .map(([id, where]) => `${id}: ${[...where].join(', ')}`)
    expect(spread).toEqual([])
  })
})

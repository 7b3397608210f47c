// Helpers shared by the seed generator tests (generate-*.test.ts): where the repository and the
// shipped seed are, NDJSON directories read back, Observations by code, and the two resource sets
// the tests check: a generated one and the shipped seed/fhir.
import { readFileSync, readdirSync } from 'node:fs'
import path from 'node:path'
import { generate, type FhirResource } from '../../scripts/seed/generate.ts'

export const ROOT = path.resolve(import.meta.dirname, '../..')
export const SEED_DIR = path.join(ROOT, 'seed/fhir')

// Tests read generated JSON loosely; the generator itself is strictly typed.
export type Any = Record<string, any>

/** The .ndjson files of `dir`, sorted by name, with their text. */
export function readNdjsonDir(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.ndjson'))
      .sort()
      .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')])
  )
}

function parseNdjsonDir(dir: string): FhirResource[] {
  return [...readNdjsonDir(dir).values()].flatMap((text) =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as FhirResource)
  )
}

/** The Observations with a coding of `code`. */
export function byCode(resources: FhirResource[], code: string): Any[] {
  return resources.filter(
    (r) => r.resourceType === 'Observation' && r.code.coding.some((c) => c.code === code)
  ) as Any[]
}

/** A generated set: 60 patients, seed 42. */
export const generated = generate({ patients: 60, seed: 42 })
/** The shipped seed/fhir, parsed. */
export const shipped = parseNdjsonDir(SEED_DIR)

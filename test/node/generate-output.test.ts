// Tests for the FHIR R4 seed generator (scripts/seed): deterministic NDJSON output, time zones and
// identifiers, and that the shipped seed/fhir is exactly what the command documented in
// seed/README.md writes.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  RESOURCE_TYPES,
  generate,
  generateResources,
  practitionerCount,
  toNdjson,
  writeNdjson,
  type FhirResource,
} from '../../scripts/seed/generate.ts'
import { npiCheckDigit } from '../../scripts/seed/people.ts'
import { formatDateTime, offsetAt } from '../../scripts/seed/time.ts'
import { byCode, generated, readNdjsonDir, ROOT, SEED_DIR, shipped } from './seed-helpers.ts'

const tempDirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'seed-test-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

describe('determinism', () => {
  it('writes byte-identical NDJSON for the same seed, one resource per line', () => {
    const [a, b] = [tempDir(), tempDir()]
    writeNdjson(generateResources({ patients: 25, seed: 7 }), a)
    writeNdjson(generateResources({ patients: 25, seed: 7 }), b)
    const filesA = readNdjsonDir(a)
    expect([...filesA.keys()]).toEqual(RESOURCE_TYPES.map((t) => `${t}.ndjson`).sort())
    expect(readNdjsonDir(b)).toEqual(filesA)
    const inMemory = toNdjson(generate({ patients: 25, seed: 7 }))
    for (const [type, text] of inMemory) expect(filesA.get(`${type}.ndjson`)).toBe(text)
    for (const text of filesA.values()) {
      expect(text.endsWith('\n')).toBe(true)
      for (const line of text.slice(0, -1).split('\n')) {
        expect(`${JSON.stringify(JSON.parse(line))}`).toBe(line)
      }
    }
  })

  it('produces different output for a different seed', () => {
    const a = toNdjson(generateResources({ patients: 25, seed: 7 }))
    const b = toNdjson(generateResources({ patients: 25, seed: 8 }))
    for (const type of RESOURCE_TYPES) expect(b.get(type), type).not.toBe(a.get(type))
  })

  it('does not depend on other generators running at the same time', () => {
    const sequential = generate({ patients: 5, seed: 3 })
    const x = generateResources({ patients: 5, seed: 3 })
    const y = generateResources({ patients: 5, seed: 9 })
    const interleaved: FhirResource[] = []
    for (let step = x.next(); !step.done; step = x.next()) {
      interleaved.push(step.value)
      y.next()
    }
    expect(interleaved).toEqual(sequential)
  })

  it('sizes the practitioner pool at one per 20 patients, at least 3', () => {
    expect(practitionerCount(10)).toBe(3)
    expect(practitionerCount(2000)).toBe(100)
    const pool = generated.filter((r) => r.resourceType === 'Practitioner')
    expect(pool.length).toBe(practitionerCount(60))
  })

  it('rejects a patient count or seed that is not a usable integer', () => {
    expect(() => generate({ patients: 0 })).toThrow(RangeError)
    expect(() => generate({ patients: 1.5 })).toThrow(RangeError)
    expect(() => generate({ patients: 1, seed: -1 })).toThrow(RangeError)
  })
})

describe('time zones and identifiers', () => {
  it('formats dateTimes and instants with the zone offset in force, including DST', () => {
    const dubai = { std: 240, dst: 'none' } as const
    const at = Date.parse('2014-05-11T08:39:55.513Z')
    expect(formatDateTime(dubai, at)).toBe('2014-05-11T12:39:55+04:00')
    expect(formatDateTime(dubai, at, true)).toBe('2014-05-11T12:39:55.513+04:00')
    const newYork = { std: -300, dst: 'us' } as const
    expect(offsetAt(newYork, Date.parse('2014-03-09T06:59:59Z'))).toBe(-300)
    expect(offsetAt(newYork, Date.parse('2014-03-09T07:00:00Z'))).toBe(-240)
    expect(offsetAt(newYork, Date.parse('2014-11-02T06:00:00Z'))).toBe(-300)
    const berlin = { std: 60, dst: 'eu' } as const
    expect(offsetAt(berlin, Date.parse('2014-03-30T00:59:59Z'))).toBe(60)
    expect(offsetAt(berlin, Date.parse('2014-03-30T01:00:00Z'))).toBe(120)
    const fallBack = Date.parse('2014-10-26T01:00:00Z')
    expect(formatDateTime(berlin, fallBack)).toBe('2014-10-26T02:00:00+01:00')
  })

  it('computes the NPI Luhn check digit (CMS example 1234567893)', () => {
    expect(npiCheckDigit('123456789')).toBe(3)
  })
})

describe('the shipped seed', () => {
  const readme = readFileSync(path.join(ROOT, 'seed/README.md'), 'utf8')

  it('is what the command documented in seed/README.md regenerates, byte for byte', () => {
    const command = readme.match(/^node_modules\/\.bin\/node (scripts\/seed\/generate\.ts .*)$/m)
    expect(command, 'README documents the command').not.toBeNull()
    const args = command![1].trim().split(/\s+/)
    const out = args.indexOf('--out')
    expect(args[out + 1]).toBe('seed/fhir')
    const dir = tempDir()
    args[out + 1] = dir
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/node'), args, {
      cwd: ROOT,
      encoding: 'utf8',
    })
    expect(run.status, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/wrote \d+ resources/)
    const regenerated = readNdjsonDir(dir)
    const committed = readNdjsonDir(SEED_DIR)
    expect([...committed.keys()]).toEqual([...regenerated.keys()])
    for (const [file, text] of regenerated) expect(committed.get(file), file).toBe(text)
  })

  it('holds a few hundred resources with at least 10 HbA1c results, as the README says', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(300)
    expect(shipped.length).toBeLessThanOrEqual(600)
    const hba1c = byCode(shipped, '4548-4').length
    expect(hba1c).toBeGreaterThanOrEqual(10)
    expect(readme).toContain(`${shipped.length} resources`)
    expect(readme).toContain(`${hba1c} of them HbA1c`)
  })
})

// Index-row extraction (src/fhir/index/extract.ts): every search parameter of a resource's type
// turned into ix_* rows by parameter type and datatype, as R4 search.html defines matching.
// Expected rows are written out by hand; rows are labelled with their parameter code for reading.

import { describe, expect, it } from 'vitest'
import { extractIndexRows } from '../../src/fhir/index/extract.ts'
import { derivedSp, searchParam, searchParamsFor } from '../../src/fhir/index/registry.ts'
import type { IndexRows } from '../../src/fhir/index/types.ts'

type Named = Record<string, unknown>[]
type Expected = Partial<Record<keyof IndexRows, Named>>

const KINDS = [
  'token',
  'tokenText',
  'string',
  'date',
  'number',
  'quantity',
  'ref',
  'uri',
  'composite',
] as const
const sortRows = (rows: Named) =>
  [...rows].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))

/** Rows with `sp` replaced by `param` (the parameter code), each list in a fixed order. */
function named(rows: IndexRows, type: string): Record<string, Named> {
  const codes = new Map(searchParamsFor(type).map((d) => [d.sp, d.code]))
  for (const d of searchParamsFor(type)) {
    codes.set(derivedSp(d, 'identifier'), `${d.code}:identifier`)
    codes.set(derivedSp(d, 'of-type'), `${d.code}:of-type`)
  }
  const out: Record<string, Named> = {}
  for (const kind of KINDS) {
    const list = rows[kind].map(({ sp, ...rest }) => ({ param: codes.get(sp) ?? sp, ...rest }))
    out[kind] = sortRows(list)
  }
  return out
}

/** Exact comparison: kinds not given must have no rows at all. */
function expectRows(resource: Record<string, unknown>, expected: Expected): void {
  const all: Record<string, Named> = {}
  for (const kind of KINDS) all[kind] = sortRows(expected[kind] ?? [])
  expect(named(extractIndexRows(resource), String(resource.resourceType))).toEqual(all)
}

/** The rows of one parameter, without `sp`. */
function rowsOf(resource: Record<string, unknown>, code: string, kind: keyof IndexRows): Named {
  const sp = searchParam(String(resource.resourceType), code)!.sp
  const rows: Named = extractIndexRows(resource)[kind].filter((r) => r.sp === sp)
  return rows.map(({ sp: _, ...rest }) => rest)
}

// From the seed data page (seed/README.md): an HbA1c result.
const OBSERVATION = {
  resourceType: 'Observation',
  id: '00592410-ec4a-4d64-a674-f0bfb244a978',
  status: 'final',
  category: [
    {
      coding: [
        {
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
          code: 'laboratory',
          display: 'laboratory',
        },
      ],
    },
  ],
  code: {
    text: 'Hemoglobin A1c/Hemoglobin.total in Blood',
    coding: [
      {
        system: 'http://loinc.org',
        code: '4548-4',
        display: 'Hemoglobin A1c/Hemoglobin.total in Blood',
      },
    ],
  },
  subject: { reference: 'Patient/a6a91d7e-7ded-4325-9dbe-42a088e7e039' },
  encounter: { reference: 'Encounter/67b8fa04-6e1b-4074-8b8c-3ec44bfec48f' },
  effectiveDateTime: '2014-05-11T12:39:55+04:00',
  issued: '2014-05-11T12:39:55.513+04:00',
  valueQuantity: {
    value: 2.856519918445372,
    unit: '%',
    system: 'http://unitsofmeasure.org',
    code: '%',
  },
}

describe('an Observation from the seed data', () => {
  it('gives exactly the token, text, date, quantity and reference rows R4 Observation search defines', () => {
    const loinc = { code: '4548-4', system: 'http://loinc.org' }
    const text = 'hemoglobin a1c/hemoglobin.total in blood'
    // 2014-05-11T12:39:55+04:00 is 08:39:55 UTC; with seconds it covers that second (#date).
    const lo = Date.UTC(2014, 4, 11, 8, 39, 55)
    // A stored quantity is the point [v, v]; precision applies to the search value (#number).
    const v = 2.856519918445372
    const quantity = { code: '%', system: 'http://unitsofmeasure.org', v, lo: v, hi: v }
    // Composite rows pair the code (as `code` and `system|code`) with the value of the same element.
    const composite = (param: string) =>
      ['4548-4', 'http://loinc.org|4548-4'].map((key) => ({
        param,
        key,
        a: '%',
        b: quantity.system,
        v,
        lo: v,
        hi: v,
      }))
    const patient = 'Patient/a6a91d7e-7ded-4325-9dbe-42a088e7e039'
    expectRows(OBSERVATION, {
      token: [
        { param: 'code', ...loinc },
        { param: 'combo-code', ...loinc },
        {
          param: 'category',
          code: 'laboratory',
          system: 'http://terminology.hl7.org/CodeSystem/observation-category',
        },
        { param: 'status', code: 'final', system: '' },
      ],
      tokenText: [
        { param: 'code', norm: text },
        { param: 'combo-code', norm: text },
        { param: 'category', norm: 'laboratory' },
      ],
      date: [{ param: 'date', lo, hi: lo + 999 }],
      quantity: [
        { param: 'value-quantity', ...quantity },
        { param: 'combo-value-quantity', ...quantity },
      ],
      ref: [
        { param: 'subject', target: patient },
        { param: 'patient', target: patient },
        { param: 'encounter', target: 'Encounter/67b8fa04-6e1b-4074-8b8c-3ec44bfec48f' },
      ],
      composite: [...composite('code-value-quantity'), ...composite('combo-code-value-quantity')],
    })
  })

  it('is deterministic: same body (any key order) → identical, sorted rows', () => {
    const reordered = Object.fromEntries(Object.entries(structuredClone(OBSERVATION)).reverse())
    const a = extractIndexRows(OBSERVATION)
    expect(JSON.stringify(extractIndexRows(reordered))).toBe(JSON.stringify(a))
    expect(JSON.stringify(extractIndexRows(OBSERVATION))).toBe(JSON.stringify(a))
    const key = (r: { sp: number; code: string; system: string }) =>
      `${String(r.sp).padStart(10, '0')}|${r.code}|${r.system}`
    const bySpThenCode = [...a.token].sort((x, y) => (key(x) < key(y) ? -1 : 1))
    expect(a.token).toEqual(bySpThenCode)
  })
})

const PATIENT = {
  resourceType: 'Patient',
  id: 'p1',
  meta: {
    lastUpdated: '2024-01-02T03:04:05Z',
    tag: [{ system: 'urn:example:tags', code: 'vip' }],
    profile: ['http://example.org/StructureDefinition/p'],
  },
  active: true,
  gender: 'female',
  birthDate: '1970-03',
  name: [{ use: 'official', family: 'Müller', given: ['José', 'María'], prefix: ['Dr.'] }],
  identifier: [
    {
      system: 'urn:oid:1.2.36.146.595.217.0.1',
      value: '12345',
      type: { text: 'Medical Record Number', coding: [{ code: 'MR' }] },
    },
    { value: 'A-1' },
  ],
  telecom: [
    { system: 'phone', value: '+41 44 000 00 00', use: 'work' },
    { system: 'email', value: 'jose@example.org' },
  ],
  address: [
    { use: 'home', line: ['Hauptstrasse 5'], city: 'Zürich', postalCode: '8001', country: 'CH' },
  ],
  generalPractitioner: [
    { reference: 'Practitioner/9/_history/2' },
    { reference: '#c1' },
    { reference: 'https://other.example/fhir/Practitioner/7' },
    { identifier: { system: 'urn:npi', value: '123' } },
  ],
}

describe('a Patient with accented, multi-given names and identifiers', () => {
  it('gives exactly these rows (_id and _lastUpdated come from columns, so none for them)', () => {
    const phone = '+41 44 000 00 00'
    const mail = 'jose@example.org'
    const names = [
      { norm: 'muller', exact: 'Müller' },
      { norm: 'jose', exact: 'José' },
      { norm: 'maria', exact: 'María' },
      { norm: 'dr.', exact: 'Dr.' },
    ]
    expectRows(PATIENT, {
      token: [
        { param: '_tag', code: 'vip', system: 'urn:example:tags' },
        { param: 'active', code: 'true', system: '' },
        { param: 'address-use', code: 'home', system: '' },
        { param: 'deceased', code: 'false', system: '' },
        { param: 'gender', code: 'female', system: '' },
        { param: 'identifier', code: '12345', system: 'urn:oid:1.2.36.146.595.217.0.1' },
        { param: 'identifier', code: 'A-1', system: '' },
        // :of-type rows: the value under `system|code` of the identifier's type (no system here)
        { param: 'identifier:of-type', code: '12345', system: '|MR' },
        // :identifier rows: a reference's identifier as a token
        { param: 'general-practitioner:identifier', code: '123', system: 'urn:npi' },
        { param: 'telecom', code: phone, system: '' },
        { param: 'telecom', code: mail, system: '' },
        { param: 'phone', code: phone, system: '' },
        { param: 'email', code: mail, system: '' },
      ],
      tokenText: [{ param: 'identifier', norm: 'medical record number' }],
      string: [
        ...names.map((n) => ({ param: 'name', ...n })),
        ...names.map((n) => ({ param: 'phonetic', ...n })),
        { param: 'family', norm: 'muller', exact: 'Müller' },
        { param: 'given', norm: 'jose', exact: 'José' },
        { param: 'given', norm: 'maria', exact: 'María' },
        { param: 'address', norm: 'hauptstrasse 5', exact: 'Hauptstrasse 5' },
        { param: 'address', norm: 'zurich', exact: 'Zürich' },
        { param: 'address', norm: '8001', exact: '8001' },
        { param: 'address', norm: 'ch', exact: 'CH' },
        { param: 'address-city', norm: 'zurich', exact: 'Zürich' },
        { param: 'address-postalcode', norm: '8001', exact: '8001' },
        { param: 'address-country', norm: 'ch', exact: 'CH' },
      ],
      // 1970-03 covers the whole of March 1970 (search.html#date).
      date: [{ param: 'birthdate', lo: Date.UTC(1970, 2, 1), hi: Date.UTC(1970, 3, 1) - 1 }],
      // history stripped; '#c1' (contained) and identifier-only references skipped (#reference)
      ref: [
        { param: 'general-practitioner', target: 'Practitioner/9' },
        { param: 'general-practitioner', target: 'https://other.example/fhir/Practitioner/7' },
      ],
      uri: [{ param: '_profile', uri: 'http://example.org/StructureDefinition/p' }],
    })
  })

  it('string: normalises NFKD, drops accents, lower-cases and collapses spaces; exact keeps the original', () => {
    const p = { resourceType: 'Patient', name: [{ family: '  van   der\tBERG ', text: 'ﬁne Ǆ' }] }
    expect(rowsOf(p, 'family', 'string')).toEqual([
      { norm: 'van der berg', exact: '  van   der\tBERG ' },
    ])
    expect(rowsOf(p, 'name', 'string')).toEqual(
      sortRows([
        { norm: 'van der berg', exact: '  van   der\tBERG ' },
        { norm: 'fine dz', exact: 'ﬁne Ǆ' },
      ])
    )
  })

  it('deceased: true for deceasedDateTime (R4 expression `deceased.exists() and deceased != false`)', () => {
    const p = { resourceType: 'Patient', deceasedDateTime: '2020-02-03' }
    expect(rowsOf(p, 'deceased', 'token')).toEqual([{ code: 'true', system: '' }])
    expect(rowsOf(p, 'death-date', 'date')).toEqual([
      { lo: Date.UTC(2020, 1, 3), hi: Date.UTC(2020, 1, 4) - 1 },
    ])
  })
})

describe('token (search.html#token)', () => {
  it('Coding gives (system, code) and its display as :text', () => {
    const security = [{ system: 'urn:s', code: 'R', display: 'Restricted' }]
    const p = { resourceType: 'Patient', meta: { security } }
    expectRows(p, {
      token: [
        { param: '_security', code: 'R', system: 'urn:s' },
        // every Patient has a deceased row: `deceased.exists() and ...` is false when absent
        { param: 'deceased', code: 'false', system: '' },
      ],
      tokenText: [{ param: '_security', norm: 'restricted' }],
    })
  })

  it('uses "" for a missing system or code, and skips codings with neither', () => {
    const coding = [{ code: 'x' }, { system: 'urn:only' }, { display: 'd' }]
    const o = { resourceType: 'Observation', code: { coding } }
    expect(sortRows(rowsOf(o, 'code', 'token'))).toEqual(
      sortRows([
        { code: 'x', system: '' },
        { code: '', system: 'urn:only' },
      ])
    )
    expect(rowsOf(o, 'code', 'tokenText')).toEqual([{ norm: 'd' }])
  })

  it('booleans index as "true"/"false"', () => {
    expect(rowsOf({ resourceType: 'Patient', active: false }, 'active', 'token')).toEqual([
      { code: 'false', system: '' },
    ])
  })

  it('deduplicates repeated codes', () => {
    const coding = { system: 'http://loinc.org', code: '1-8' }
    const o = {
      resourceType: 'Observation',
      code: { coding: [coding, coding] },
      category: [{ coding: [coding] }],
    }
    expect(rowsOf(o, 'code', 'token')).toEqual([{ code: '1-8', system: 'http://loinc.org' }])
  })
})

describe('reference and uri (search.html#reference, #uri)', () => {
  it('indexes a versioned canonical as given and without its version (search.html#versions)', () => {
    const ad = { resourceType: 'ActivityDefinition', library: ['http://example.org/Library/a|1.0'] }
    expect(rowsOf(ad, 'depends-on', 'ref')).toEqual([
      { target: 'http://example.org/Library/a' },
      { target: 'http://example.org/Library/a|1.0' },
    ])
  })
  it('Bundle composition: the first entry when it is a Composition (type-checked against targets)', () => {
    const bundle = (resourceType: string) => ({
      resourceType: 'Bundle',
      type: 'document',
      entry: [{ resource: { resourceType, id: 'c1' } }],
    })
    const composition = bundle('Composition')
    expect(rowsOf(composition, 'composition', 'ref')).toEqual([{ target: 'Composition/c1' }])
    expect(rowsOf(composition, 'message', 'ref')).toEqual([])
    const message = bundle('MessageHeader')
    expect(rowsOf(message, 'message', 'ref')).toEqual([{ target: 'MessageHeader/c1' }])
    expect(rowsOf(message, 'composition', 'ref')).toEqual([])
  })
  it('uri parameters index the value as given', () => {
    const vs = { resourceType: 'ValueSet', url: 'http://example.org/ValueSet/x', status: 'active' }
    expect(rowsOf(vs, 'url', 'uri')).toEqual([{ uri: 'http://example.org/ValueSet/x' }])
  })
})

describe('resources without rows', () => {
  it('a type with no search parameters of its own (ObservationDefinition) gives empty rows', () => {
    const definition = { resourceType: 'ObservationDefinition', code: { coding: [{ code: 'y' }] } }
    expect(searchParamsFor('ObservationDefinition').every((d) => d.code.startsWith('_'))).toBe(true)
    expectRows(definition, {})
  })
  it('an unknown or missing resourceType gives empty rows', () => {
    expectRows({ resourceType: 'NotAType', code: 'x' }, {})
    expectRows({ resourceType: 'toString', code: 'x' }, {})
    expectRows({ code: 'x' }, {})
  })
  it('odd resource types inside a body (Object.prototype names) are just unknown types', () => {
    const odd = ['toString', 'constructor', '__proto__', 'hasOwnProperty']
    const bundle = {
      resourceType: 'Bundle',
      entry: odd.map((resourceType) => ({ resource: { resourceType, id: 'x' } })),
    }
    expectRows(bundle, {})
    const obs = {
      resourceType: 'Observation',
      contained: odd.map((t) => ({ resourceType: t, id: t })),
    }
    const subject = odd.map((t) => ({ reference: `#${t}` }))
    expectRows({ ...obs, subject: subject[0], performer: subject }, {})
  })
  it('composite rows pair values of the same component only (search.html#composite)', () => {
    const bp = {
      resourceType: 'Observation',
      component: [
        {
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
          valueQuantity: { value: 120, code: 'mm[Hg]' },
        },
        { code: { coding: [{ code: '8462-4' }] }, valueQuantity: { value: 80, code: 'mm[Hg]' } },
      ],
    }
    const row = (key: string, v: number) => ({ key, a: 'mm[Hg]', b: '', v, lo: v, hi: v })
    expect(rowsOf(bp, 'component-code-value-quantity', 'composite')).toEqual(
      sortRows([
        row('8480-6', 120),
        row('http://loinc.org|8480-6', 120),
        row('8462-4', 80),
        row('|8462-4', 80),
      ])
    )
  })
  it('special parameters (Location near) give no rows', () => {
    const location = { resourceType: 'Location', position: { latitude: 1, longitude: 2 } }
    const near = searchParam('Location', 'near')!.sp
    const all = extractIndexRows(location)
    const rows: { sp: number }[] = KINDS.flatMap((k): { sp: number }[] => all[k])
    expect(rows.filter((r) => r.sp === near)).toEqual([])
  })
})

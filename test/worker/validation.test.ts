// The R4 resource validator (src/fhir/validation): a table of broken resources with one defect each,
// every rule of docs/validation.md, each refused with the exact FHIRPath location and issue code; a
// table of valid resources (the hand-written R4 examples and edge cases the spec allows) that pass.
import { describe, expect, it } from 'vitest'
import { validateResource } from '../../src/fhir/validation/validate.ts'
import type { ValidationIssue } from '../../src/fhir/validation/validate.ts'
import { R4_EXAMPLES } from '../node/r4-examples.ts'

type Json = Record<string, unknown>
const patient = (extra: Json): Json => ({ resourceType: 'Patient', ...extra })
const obs = (extra: Json): Json => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  ...extra,
})
const ext = (extra: Json) => patient({ extension: [{ url: 'http://example.org/x', ...extra }] })
const subject = (reference: string, extra: Json = {}) => obs({ subject: { reference }, ...extra })
const UUID = 'urn:uuid:9a1a2b3c-0000-4000-8000-00000000abcd'

type Case = [defect: string, resource: unknown, code: ValidationIssue['code'], expression: string]

/** Runs a table of one-defect resources: exactly one issue, with this code and expression. */
function refuses(cases: Case[]) {
  it.each(cases)('%s', (_defect, resource, code, expression) => {
    const issues = validateResource(resource)
    expect(issues.map((i) => [i.code, i.expression])).toEqual([[code, expression]])
    expect(issues[0].severity).toBe('error')
    expect(issues[0].diagnostics).not.toBe('')
  })
}

describe('resource types and element names (R4 json.html#resources, elementdefinition.html)', () => {
  refuses([
    ['an unknown resourceType', { resourceType: 'Patien' }, 'structure', 'Resource.resourceType'],
    ['no resourceType', { id: 'a' }, 'structure', 'Resource.resourceType'],
    ['a resource that is not an object', ['Patient'], 'structure', 'Resource'],
    [
      'a misspelled element (birthdate)',
      patient({ birthdate: '2000' }),
      'structure',
      'Patient.birthdate',
    ],
    [
      'an unknown nested element',
      patient({ name: [{ giv: ['a'] }] }),
      'structure',
      'Patient.name[0].giv',
    ],
    [
      'a choice with an unknown type suffix',
      obs({ valueFoo: 1 }),
      'structure',
      'Observation.valueFoo',
    ],
    ['the bare choice name value[x]', obs({ value: 1 }), 'structure', 'Observation.value'],
    [
      '_element beside a complex element',
      patient({ _name: [{ id: 'a' }] }),
      'structure',
      'Patient._name',
    ],
    ['_element of no element', patient({ _foo: { id: 'a' } }), 'structure', 'Patient._foo'],
    [
      'resourceType inside a datatype',
      patient({ name: [{ resourceType: 'HumanName', family: 'x' }] }),
      'structure',
      'Patient.name[0].resourceType',
    ],
    [
      'a contained resource of an unknown type',
      patient({ contained: [{ resourceType: 'Nope', id: 'a' }] }),
      'structure',
      'Patient.contained[0].resourceType',
    ],
    [
      'an unknown element in a Bundle entry resource (validated by its own type)',
      { resourceType: 'Bundle', type: 'collection', entry: [{ resource: patient({ foo: 1 }) }] },
      'structure',
      'Bundle.entry[0].resource.foo',
    ],
    [
      'a bad value in a Parameters resource',
      {
        resourceType: 'Parameters',
        parameter: [{ name: 'p', resource: patient({ birthDate: '2000-02-30' }) }],
      },
      'value',
      'Parameters.parameter[0].resource.birthDate',
    ],
    [
      'an unknown element in an extension',
      ext({ valueFoo: 'x' }),
      'structure',
      'Patient.extension[0].valueFoo',
    ],
  ])
})

describe('primitive values in JSON (R4 datatypes.html#primitive, json.html#primitive)', () => {
  refuses([
    [
      'a date with month 13 and day 45',
      patient({ birthDate: '2020-13-45' }),
      'value',
      'Patient.birthDate',
    ],
    [
      '29 February of a common year',
      patient({ birthDate: '2021-02-29' }),
      'value',
      'Patient.birthDate',
    ],
    ['31 April', patient({ birthDate: '2021-04-31' }), 'value', 'Patient.birthDate'],
    ['a date as a JSON number', patient({ birthDate: 19740101 }), 'value', 'Patient.birthDate'],
    ['a boolean as a string', patient({ active: 'true' }), 'value', 'Patient.active'],
    [
      'an integer with a fraction',
      patient({ multipleBirthInteger: 1.5 }),
      'value',
      'Patient.multipleBirth.ofType(integer)',
    ],
    [
      'an integer beyond 32 bits',
      patient({ multipleBirthInteger: 2147483648 }),
      'value',
      'Patient.multipleBirth.ofType(integer)',
    ],
    [
      'a decimal that overflowed to Infinity (1e999)',
      obs({ valueQuantity: JSON.parse('{"value": 1e999}') }),
      'value',
      'Observation.value.ofType(Quantity).value',
    ],
    [
      'a decimal as a string',
      obs({ valueQuantity: { value: '5' } }),
      'value',
      'Observation.value.ofType(Quantity).value',
    ],
    [
      'an instant without a time zone',
      obs({ issued: '2020-01-01T10:00:00' }),
      'value',
      'Observation.issued',
    ],
    [
      'a dateTime with a time but no seconds',
      obs({ effectiveDateTime: '2020-01-01T10:00Z' }),
      'value',
      'Observation.effective.ofType(dateTime)',
    ],
    [
      'a time at hour 25',
      obs({ valueTime: '25:00:00' }),
      'value',
      'Observation.value.ofType(time)',
    ],
    ['an id with a space', patient({ id: 'a b' }), 'value', 'Patient.id'],
    ['an id of 65 characters', patient({ id: 'a'.repeat(65) }), 'value', 'Patient.id'],
    [
      'a uri with whitespace',
      patient({ identifier: [{ system: 'http://a b' }] }),
      'value',
      'Patient.identifier[0].system',
    ],
    [
      'a code with a leading space',
      obs({ valueQuantity: { code: ' mg' } }),
      'value',
      'Observation.value.ofType(Quantity).code',
    ],
    [
      'a malformed oid',
      ext({ valueOid: 'urn:oid:1.x' }),
      'value',
      'Patient.extension[0].value.ofType(oid)',
    ],
    [
      'a malformed uuid',
      ext({ valueUuid: 'urn:uuid:XYZ' }),
      'value',
      'Patient.extension[0].value.ofType(uuid)',
    ],
    [
      'base64Binary with invalid characters',
      patient({ photo: [{ data: 'not base64!' }] }),
      'value',
      'Patient.photo[0].data',
    ],
    ['a positiveInt of 0', patient({ telecom: [{ rank: 0 }] }), 'value', 'Patient.telecom[0].rank'],
    [
      'a negative unsignedInt',
      patient({ photo: [{ size: -1 }] }),
      'value',
      'Patient.photo[0].size',
    ],
    ['an empty string', patient({ name: [{ family: '' }] }), 'value', 'Patient.name[0].family'],
    ['empty markdown', obs({ note: [{ text: '' }] }), 'value', 'Observation.note[0].text'],
    [
      'an object where a primitive goes',
      patient({ birthDate: { value: '2000' } }),
      'structure',
      'Patient.birthDate',
    ],
    [
      'a string where an object goes',
      patient({ maritalStatus: 'M' }),
      'structure',
      'Patient.maritalStatus',
    ],
  ])
})

describe('arrays, nulls and empty elements (R4 json.html#arrays, json.html#null, ele-1)', () => {
  refuses([
    [
      'an array where max is 1 (gender)',
      patient({ gender: ['male'] }),
      'structure',
      'Patient.gender',
    ],
    [
      'a single value where max is *',
      patient({ name: { family: 'x' } }),
      'structure',
      'Patient.name',
    ],
    ['an empty array', patient({ name: [] }), 'structure', 'Patient.name'],
    [
      'an empty object (ele-1)',
      patient({ maritalStatus: {} }),
      'invariant',
      'Patient.maritalStatus',
    ],
    [
      'an element with only an id (ele-1)',
      patient({ maritalStatus: { id: 'm' } }),
      'invariant',
      'Patient.maritalStatus',
    ],
    [
      'a _element with only an id and no value beside it (ele-1)',
      obs({ status: undefined, _status: { id: 's' } }),
      'invariant',
      'Observation.status',
    ],
    [
      'an empty object in an array (ele-1)',
      patient({ name: [{}] }),
      'invariant',
      'Patient.name[0]',
    ],
    ['a null value', patient({ birthDate: null }), 'structure', 'Patient.birthDate'],
    ['a null in an array of objects', patient({ name: [null] }), 'structure', 'Patient.name[0]'],
    [
      'a null in a primitive array with no extension beside it',
      patient({ name: [{ given: ['a', null] }] }),
      'structure',
      'Patient.name[0].given[1]',
    ],
    [
      '_element that is not an object',
      patient({ _birthDate: 'x' }),
      'structure',
      'Patient.birthDate',
    ],
    [
      '_element arrays not aligned with their values',
      patient({ name: [{ given: ['a', 'b'], _given: [null] }] }),
      'structure',
      'Patient.name[0].given',
    ],
    [
      'an unknown element inside _element',
      patient({ _birthDate: { url: 'x' } }),
      'structure',
      'Patient.birthDate.url',
    ],
  ])
})

describe('cardinality and choices (R4 elementdefinition.html#min-max, formats.html#choice)', () => {
  refuses([
    [
      'Observation without status (1..1)',
      { resourceType: 'Observation', code: { text: 'x' } },
      'required',
      'Observation.status',
    ],
    [
      'Observation without code (1..1)',
      { resourceType: 'Observation', status: 'final' },
      'required',
      'Observation.code',
    ],
    ['Bundle without type', { resourceType: 'Bundle' }, 'required', 'Bundle.type'],
    [
      'a backbone element without its required child (Patient.link.other)',
      patient({ link: [{ type: 'seealso' }] }),
      'required',
      'Patient.link[0].other',
    ],
    [
      'an extension without url',
      patient({ extension: [{ valueString: 'x' }] }),
      'required',
      'Patient.extension[0].url',
    ],
    [
      'two types for one choice (deceasedBoolean and deceasedDateTime)',
      patient({ deceasedBoolean: true, deceasedDateTime: '2020' }),
      'structure',
      'Patient.deceased.ofType(dateTime)',
    ],
  ])
})

describe('required bindings (R4 terminologies.html#required)', () => {
  refuses([
    [
      'Patient.gender outside administrative-gender',
      patient({ gender: 'M' }),
      'code-invalid',
      'Patient.gender',
    ],
    [
      'Observation.status outside observation-status',
      obs({ status: 'done' }),
      'code-invalid',
      'Observation.status',
    ],
    [
      'Bundle.type outside bundle-type',
      { resourceType: 'Bundle', type: 'bogus' },
      'code-invalid',
      'Bundle.type',
    ],
    [
      'a bound code in a datatype (ContactPoint.system)',
      patient({ telecom: [{ system: 'fax2' }] }),
      'code-invalid',
      'Patient.telecom[0].system',
    ],
    [
      'one bad code in a repeating code element',
      {
        resourceType: 'AllergyIntolerance',
        patient: { reference: 'Patient/1' },
        category: ['food', 'drink'],
      },
      'code-invalid',
      'AllergyIntolerance.category[1]',
    ],
    [
      'a bound code in a backbone element (Bundle.entry.request.method)',
      {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ resource: obs({}), request: { method: 'FETCH', url: 'Observation' } }],
      },
      'code-invalid',
      'Bundle.entry[0].request.method',
    ],
  ])
})

describe('Reference.reference (R4 references.html#literal)', () => {
  refuses([
    ['a type without an id', subject('Patient'), 'value', 'Observation.subject.reference'],
    ['an unknown resource type', subject('Foo/123'), 'value', 'Observation.subject.reference'],
    ['an invalid id', subject('Patient/a b'), 'value', 'Observation.subject.reference'],
    ['an empty version', subject('Patient/1/_history/'), 'value', 'Observation.subject.reference'],
    [
      'a malformed urn:uuid',
      subject('urn:uuid:not-a-uuid'),
      'value',
      'Observation.subject.reference',
    ],
    ['a malformed urn:oid', subject('urn:oid:abc'), 'value', 'Observation.subject.reference'],
    [
      '#id with no such contained resource',
      subject('#p1'),
      'value',
      'Observation.subject.reference',
    ],
  ])
})

const VALID: [string, unknown][] = [
  ...R4_EXAMPLES.map((r): [string, unknown] => [`R4 example ${r.resourceType}/${r.id}`, r]),
  ['the smallest resource', { resourceType: 'Patient' }],
  ['29 February of a leap year', patient({ birthDate: '2020-02-29' })],
  ['partial dates and dateTimes', patient({ birthDate: '1974', deceasedDateTime: '2020-03' })],
  [
    'a null in a primitive array aligned with an extension',
    patient({
      name: [
        { given: ['a', null], _given: [null, { extension: [{ url: 'u', valueString: 'b' }] }] },
      ],
    }),
  ],
  [
    'a required primitive present only as _element with an extension',
    obs({
      status: undefined,
      _status: { extension: [{ url: 'http://example.org/why', valueCode: 'x' }] },
    }),
  ],
  ['a primitive with an id in _element', patient({ birthDate: '2000', _birthDate: { id: 'b' } })],
  ['an extension with nested extensions', ext({ extension: [{ url: 'a', valueBoolean: false }] })],
  [
    'every well-formed reference',
    obs({
      contained: [{ resourceType: 'Patient', id: 'p1' }],
      subject: { reference: '#p1' },
      focus: [
        { reference: 'Patient/1' },
        { reference: 'Patient/1/_history/2' },
        { reference: 'https://example.org/fhir/Patient/1' },
        { reference: UUID },
        { reference: 'urn:oid:1.2.3' },
        { reference: 'Patient?identifier=urn:x|1' },
        { identifier: { value: 'only an identifier' } },
      ],
    }),
  ],
  [
    'a contained resource referring to its container with #',
    obs({
      contained: [
        {
          resourceType: 'Provenance',
          id: 'pv',
          target: [{ reference: '#' }],
          recorded: '2020-01-01T00:00:00Z',
          agent: [{ who: { display: 'x' } }],
        },
      ],
    }),
  ],
  [
    'a transaction Bundle whose entries are validated by their own type',
    {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: UUID,
          resource: patient({ gender: 'other' }),
          request: { method: 'POST', url: 'Patient' },
        },
        { resource: subject(UUID), request: { method: 'POST', url: 'Observation' } },
      ],
    },
  ],
]

describe('valid resources validate with no issues (R4 examples and spec edge cases)', () => {
  it.each(VALID)('%s', (_name, resource) => {
    expect(validateResource(JSON.parse(JSON.stringify(resource)))).toEqual([])
  })
})

describe('reporting (R4 operationoutcome.html)', () => {
  it('reports every problem at once, in document order, required elements after the children', () => {
    const issues = validateResource({
      resourceType: 'Observation',
      code: { text: 'x', foo: 1 },
      valueString: '',
      subject: { reference: 'Nope/1' },
    })
    expect(issues.map((i) => [i.code, i.expression])).toEqual([
      ['structure', 'Observation.code.foo'],
      ['value', 'Observation.value.ofType(string)'],
      ['value', 'Observation.subject.reference'],
      ['required', 'Observation.status'],
    ])
  })

  it('names the unknown element in its diagnostics', () => {
    const [issue] = validateResource(patient({ birthdate: '2000' }))
    expect(issue.diagnostics).toContain("'birthdate'")
  })

  it('validates a 100-entry transaction of Observations quickly (informational timing)', () => {
    const entry = Array.from({ length: 100 }, (_, i) => ({
      fullUrl: `urn:uuid:9a1a2b3c-0000-4000-8000-${String(i).padStart(12, '0')}`,
      resource: obs({
        category: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/observation-category',
                code: 'vital-signs',
              },
            ],
          },
        ],
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
        subject: { reference: 'Patient/p1' },
        effectiveDateTime: '2024-01-02T03:04:05+01:00',
        valueQuantity: {
          value: 72,
          unit: '/min',
          system: 'http://unitsofmeasure.org',
          code: '/min',
        },
      }),
      request: { method: 'POST', url: 'Observation' },
    }))
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry }
    const start = performance.now()
    expect(validateResource(bundle)).toEqual([])
    console.log(`validated a 100-entry transaction in ${(performance.now() - start).toFixed(1)} ms`)
  })
})

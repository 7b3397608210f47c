// Patient and Practitioner resources: multilingual names, addresses, telecom and identifiers.
import type { Faker } from '@faker-js/faker'
import { STREAM, reseed, type Fakers, type LocaleKey } from './fakers.ts'
import { SYSTEM, codingOnly, concept } from './terminology.ts'
import { DAY, epochDay, formatDate, type Zone } from './time.ts'
import type { Address, ContactPoint, HumanName, Patient, Practitioner, Reference } from './types.ts'

interface LocaleProfile {
  key: LocaleKey
  /** Relative weight when picking a practitioner's locale. */
  weight: number
  /** Country of residence (ISO 3166 alpha-2); US residents are addressed with the en_US faker. */
  country: 'US' | 'ES' | 'DE' | 'FR'
  language: [code: string, display: string]
}

const LOCALES: Record<LocaleKey, LocaleProfile> = {
  en_US: {
    key: 'en_US',
    weight: 150,
    country: 'US',
    language: ['en-US', 'English (United States)'],
  },
  es_MX: { key: 'es_MX', weight: 14, country: 'US', language: ['es-MX', 'Spanish (Mexico)'] },
  es: { key: 'es', weight: 12, country: 'ES', language: ['es-ES', 'Spanish (Spain)'] },
  de: { key: 'de', weight: 12, country: 'DE', language: ['de-DE', 'German (Germany)'] },
  fr: { key: 'fr', weight: 12, country: 'FR', language: ['fr-FR', 'French (France)'] },
}

/**
 * Patients cycle through locales by index (half en_US, a fifth es_MX living in the US, a tenth
 * each from Spain, Germany and France), so even a ten-patient seed shows every locale.
 */
const PATIENT_LOCALES: LocaleKey[] = [
  'en_US',
  'es_MX',
  'en_US',
  'de',
  'en_US',
  'fr',
  'en_US',
  'es',
  'en_US',
  'es_MX',
]

const CENTRAL_EUROPE: Zone = { std: 60, dst: 'eu' }

/** US states by time zone (standard offset in minutes east of UTC, daylight-saving rule). */
const US_ZONES: [states: string, zone: Zone][] = [
  ['CT DE FL GA IN KY ME MD MA MI NH NJ NY NC OH PA RI SC VT VA WV', { std: -300, dst: 'us' }],
  ['AL AR IL IA KS LA MN MS MO NE ND OK SD TN TX WI', { std: -360, dst: 'us' }],
  ['CO ID MT NM UT WY', { std: -420, dst: 'us' }],
  ['AZ', { std: -420, dst: 'none' }],
  ['CA NV OR WA', { std: -480, dst: 'us' }],
  ['AK', { std: -540, dst: 'us' }],
  ['HI', { std: -600, dst: 'none' }],
]

function usZone(state: string): Zone {
  const found = US_ZONES.find(([states]) => states.split(' ').includes(state))
  return found ? found[1] : US_ZONES[0][1]
}

/** What the clinical generators need to know about a patient besides the resource itself. */
export interface PatientContext {
  resource: Patient
  ref: Reference
  zone: Zone
  /** Birth date as days since the Unix epoch. */
  birthDay: number
  /** Index into the practitioner pool of the patient's general practitioner. */
  practitioner: number
}

const BIRTH_FROM = epochDay('1930-01-01')
const BIRTH_TO = epochDay('2020-12-31')

function givenNames(core: Faker, names: Faker, sex: 'female' | 'male'): string[] {
  const given = names.person.firstName(sex).split(' ')
  if (given.length === 1 && core.datatype.boolean(0.35)) {
    const middle = names.person.firstName(sex)
    if (middle !== given[0]) given.push(...middle.split(' '))
  }
  return given.slice(0, 2)
}

function address(core: Faker, faker: Faker, country: LocaleProfile['country']): Address {
  const line = [faker.location.streetAddress()]
  if (country === 'US' && core.datatype.boolean(0.2)) line.push(faker.location.secondaryAddress())
  const state =
    country === 'US' ? faker.location.state({ abbreviated: true }) : faker.location.state()
  const postalCode = country === 'US' ? faker.location.zipCode({ state }) : faker.location.zipCode()
  return { use: 'home', line, city: faker.location.city(), state, postalCode, country }
}

function digits(core: Faker, length: number): string {
  return core.string.numeric({ length, allowLeadingZeros: true })
}

/** Medical record numbers ascend with the patient index, with random gaps; never repeated. */
function mrn(core: Faker, index: number): string {
  return String(10_000_000 + index * 37 + core.number.int({ min: 0, max: 36 }))
}

/**
 * SSNs in the never-issued 999 area; index × 7919 (coprime to 10^6) plus a per-seed offset, mod
 * 10^6, gives every one of the first million patients a different number.
 */
function ssn(seed: number, index: number): string {
  const n = String((index * 7919 + ((seed * 104_729) % 1_000_000)) % 1_000_000).padStart(6, '0')
  return `999-${n.slice(0, 2)}-${n.slice(2)}`
}

/** Builds one patient from its own random stream (seed, patient, index). */
export function buildPatient(
  fakers: Fakers,
  seed: number,
  index: number,
  practitioners: readonly Reference[]
): PatientContext {
  const core = reseed(fakers.core, seed, STREAM.patient, index)
  const id = core.string.uuid()
  const profile = LOCALES[PATIENT_LOCALES[index % PATIENT_LOCALES.length]]
  const sex = core.helpers.arrayElement(['female', 'male'] as const)
  const gender = core.helpers.weightedArrayElement<Patient['gender']>([
    { value: sex, weight: 98 },
    { value: 'other', weight: 1 },
    { value: 'unknown', weight: 1 },
  ])
  const birthDay = core.number.int({ min: BIRTH_FROM, max: BIRTH_TO })
  const practitioner = core.number.int({ min: 0, max: practitioners.length - 1 })

  const names = reseed(fakers.byLocale[profile.key], seed, STREAM.patient, index, 1)
  const given = givenNames(core, names, sex)
  const family = names.person.lastName(sex)
  const name: HumanName = { use: 'official', family, given }

  const residence = profile.country === 'US' ? 'en_US' : profile.key
  const local = reseed(fakers.byLocale[residence], seed, STREAM.patient, index, 2)
  const home = address(core, local, profile.country)
  const phoneUse = core.datatype.boolean(0.6) ? 'mobile' : 'home'
  const email = core.internet.exampleEmail({ firstName: given[0], lastName: family })
  const telecom: ContactPoint[] = [
    { system: 'phone', value: local.phone.number(), use: phoneUse },
    { system: 'email', value: email, use: 'home' },
  ]

  const identifier: Patient['identifier'] = [
    {
      use: 'usual',
      type: codingOnly(SYSTEM.identifierType, 'MR', 'Medical record number'),
      system: SYSTEM.mrn,
      value: mrn(core, index),
    },
  ]
  if (profile.country === 'US') {
    identifier.push({
      use: 'official',
      type: codingOnly(SYSTEM.identifierType, 'SS', 'Social Security number'),
      system: SYSTEM.ssn,
      value: ssn(seed, index),
    })
  }

  const resource: Patient = {
    resourceType: 'Patient',
    id,
    identifier,
    active: core.datatype.boolean(0.95),
    name: [name],
    telecom,
    gender,
    birthDate: formatDate(birthDay * DAY),
    address: [home],
    communication: [{ language: concept(SYSTEM.language, ...profile.language), preferred: true }],
    generalPractitioner: [practitioners[practitioner]],
  }
  return {
    resource,
    ref: { reference: `Patient/${id}` },
    zone: profile.country === 'US' ? usZone(home.state) : CENTRAL_EUROPE,
    birthDay,
    practitioner,
  }
}

/** Luhn check digit of an NPI, computed over the card-issuer prefix 80840 plus the nine digits. */
export function npiCheckDigit(nine: string): number {
  const payload = `80840${nine}`
  let sum = 0
  for (let i = 0; i < payload.length; i++) {
    let d = Number(payload[payload.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return (10 - (sum % 10)) % 10
}

/** Builds practitioner number `index` of the shared pool from its own random stream. */
export function buildPractitioner(fakers: Fakers, seed: number, index: number): Practitioner {
  const core = reseed(fakers.core, seed, STREAM.practitioner, index)
  const id = core.string.uuid()
  // Practitioners are mostly US-trained, with some colleagues from the other locales.
  const profile = core.helpers.weightedArrayElement(
    Object.values(LOCALES).map((value) => ({ value, weight: value.weight }))
  )
  const sex = core.helpers.arrayElement(['female', 'male'] as const)
  const names = reseed(fakers.byLocale[profile.key], seed, STREAM.practitioner, index, 1)
  const given = givenNames(core, names, sex)
  const family = names.person.lastName(sex)
  const name: HumanName = { use: 'official', family, given }
  const nine = `${core.helpers.arrayElement(['1', '2'])}${digits(core, 8)}`
  const phone = reseed(fakers.byLocale.en_US, seed, STREAM.practitioner, index, 2).phone.number()
  const degree = core.helpers.weightedArrayElement([
    { value: ['MD', 'Doctor of Medicine'] as const, weight: 8 },
    { value: ['DO', 'Doctor of Osteopathy'] as const, weight: 1 },
    { value: ['NP', 'Nurse practitioner'] as const, weight: 1 },
  ])
  return {
    resourceType: 'Practitioner',
    id,
    identifier: [{ system: SYSTEM.npi, value: `${nine}${npiCheckDigit(nine)}` }],
    active: true,
    name: [degree[0] === 'NP' ? name : { ...name, prefix: ['Dr.'] }],
    telecom: [
      { system: 'phone', value: phone, use: 'work' },
      {
        system: 'email',
        value: core.internet.exampleEmail({ firstName: given[0], lastName: family }),
        use: 'work',
      },
    ],
    gender: sex,
    qualification: [{ code: concept(SYSTEM.degree, degree[0], degree[1]) }],
  }
}

export function practitionerRef(practitioner: Practitioner): Reference {
  return { reference: `Practitioner/${practitioner.id}` }
}

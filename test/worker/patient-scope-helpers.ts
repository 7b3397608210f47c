// Helpers of the patient/ and user/ scope tests (scopes-patient*.test.ts): access tokens with a
// patient in launch context (no User: authentication refuses tokens acting for a User until Users
// exist), and a small world of two patients and the resources around them, under a private tag.

import { bearerFor } from './helpers.ts'
import { privateTag, tokenClient, type Resource } from './scope-helpers.ts'

/** `Authorization: Bearer …` for a token with `scope` and, unless null, `patient` in context. */
export async function patientToken(scope: string, patient: string | null): Promise<string> {
  const id = await tokenClient('patient-scoped')
  const context = patient === null ? {} : { context: { patient } }
  return (await bearerFor(id, scope, 'jwt', 300, context)).auth
}

/** Two patients (`a`, the one in context, and `b`) and resources linked to them in various ways. */
export function patientWorld(prefix: string) {
  const u = crypto.randomUUID().slice(0, 8)
  const id = (name: string) => `${prefix}-${u}-${name}`
  const a = id('a')
  const b = id('b')
  const ref = (to: string) => ({ reference: to.includes('/') ? to : `Patient/${to}` })
  const obs = (name: string, extra: Record<string, unknown>): Resource => ({
    resourceType: 'Observation',
    id: id(name),
    status: 'final',
    code: { text: name },
    ...extra,
  })
  const LAB = { category: [{ coding: [{ code: 'laboratory' }] }] }
  const resources: Resource[] = [
    { resourceType: 'Patient', id: a, name: [{ family: 'Alpha' }], gender: 'female' },
    { resourceType: 'Patient', id: b, name: [{ family: 'Beta' }], gender: 'male' },
    // In a's compartment through Patient.link (the definition's parameter for Patient).
    { resourceType: 'Patient', id: id('linked'), link: [{ other: ref(a), type: 'seealso' }] },
    { resourceType: 'Practitioner', id: id('doc'), name: [{ family: 'Doc' }] },
    { resourceType: 'Medication', id: id('med'), code: { text: 'med' } },
    obs('o-a1', { subject: ref(a), ...LAB }),
    obs('o-a2', { subject: ref(a) }),
    obs('o-a3', { subject: ref(a), performer: [ref(`Practitioner/${id('doc')}`)] }),
    obs('o-a4', { subject: ref(a), ...LAB }),
    obs('o-a5', { subject: ref(a) }),
    // Subject b, performed by a: in both compartments.
    obs('o-b-by-a', { subject: ref(b), performer: [ref(a)], ...LAB }),
    obs('o-b1', { subject: ref(b), ...LAB }),
    obs('o-b2', { subject: ref(b) }),
    {
      resourceType: 'Encounter',
      id: id('e-a'),
      status: 'finished',
      class: { code: 'AMB' },
      subject: ref(a),
    },
    {
      resourceType: 'Encounter',
      id: id('e-b'),
      status: 'finished',
      class: { code: 'AMB' },
      subject: ref(b),
    },
    { resourceType: 'AllergyIntolerance', id: id('al-a'), patient: ref(a) },
    { resourceType: 'AllergyIntolerance', id: id('al-b-rec-a'), patient: ref(b), recorder: ref(a) },
    { resourceType: 'AllergyIntolerance', id: id('al-b'), patient: ref(b) },
  ]
  const key = (name: string, type: string) => `${type}/${id(name)}`
  return {
    a,
    b,
    id,
    resources,
    tag: privateTag(prefix),
    /** `Type/id` of the named resources, sorted. */
    keys: (type: string, ...names: string[]) => names.map((n) => key(n, type)).sort(),
  }
}

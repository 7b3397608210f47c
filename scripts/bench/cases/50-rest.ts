// REST interactions (issue 3): update (one read + one batch), update with If-Match, patch, delete,
// vread, instance history, and batch / transaction Bundles of 10 and 100 entries (one D1 batch for a
// transaction). As root, so the figures are the interactions' own cost.

import { expectStatus, summarize, time, type BenchCase } from '../harness.ts'

const patient = (id: string, gender = 'male') => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'http://example.org/bench', value: id }],
  name: [{ family: 'Bench', given: ['Rest'] }],
  gender,
  birthDate: '1970-01-01',
})

const benchCase: BenchCase = {
  name: 'REST interactions (root client)',
  async run({ fetch, rootAuth, report }) {
    const headers = { authorization: rootAuth, 'content-type': 'application/fhir+json' }
    const put = (id: string, gender: string, extra: Record<string, string> = {}) =>
      fetch(`/fhir/Patient/${id}`, {
        method: 'PUT',
        headers: { ...headers, ...extra },
        body: JSON.stringify(patient(id, gender)),
      })
    for (let i = 0; i < 400; i++) await expectStatus(put(`rest-${i}`, 'male'), 201)

    const genders = ['female', 'male']
    report(
      summarize(
        'PUT /fhir/Patient/:id (update)',
        await time(300, (i) => expectStatus(put('rest-0', genders[i % 2]!), 200))
      )
    )
    let version = Number(
      (await fetch('/fhir/Patient/rest-1', { headers })).headers.get('etag')!.match(/\d+/)![0]
    )
    report(
      summarize(
        'PUT /fhir/Patient/:id with If-Match',
        await time(300, async (i) => {
          await expectStatus(put('rest-1', genders[i % 2]!, { 'if-match': `W/"${version}"` }), 200)
          version++
        })
      )
    )
    report(
      summarize(
        'PATCH /fhir/Patient/:id (JSON Patch)',
        await time(300, (i) =>
          expectStatus(
            fetch('/fhir/Patient/rest-2', {
              method: 'PATCH',
              headers: { authorization: rootAuth, 'content-type': 'application/json-patch+json' },
              body: JSON.stringify([{ op: 'replace', path: '/gender', value: genders[i % 2] }]),
            }),
            200
          )
        )
      )
    )
    report(
      summarize(
        'GET /fhir/Patient/:id/_history/1 (vread)',
        await time(300, () =>
          expectStatus(fetch('/fhir/Patient/rest-0/_history/1', { headers }), 200)
        )
      )
    )
    report(
      summarize(
        'GET /fhir/Patient/:id/_history (20 versions)',
        await time(300, () =>
          expectStatus(fetch('/fhir/Patient/rest-0/_history?_count=20', { headers }), 200)
        )
      )
    )
    report(
      summarize(
        'DELETE /fhir/Patient/:id',
        await time(
          300,
          (i) =>
            expectStatus(
              fetch(`/fhir/Patient/rest-${100 + i}`, { method: 'DELETE', headers }),
              204
            ),
          0
        )
      )
    )
    for (const [type, size] of [
      ['batch', 10],
      ['transaction', 10],
      ['transaction', 100],
    ] as const) {
      const bundle = (i: number) =>
        JSON.stringify({
          resourceType: 'Bundle',
          type,
          entry: Array.from({ length: size }, (_, k) => {
            const id = `bundle-${type}-${size}-${i}-${k}`
            return {
              fullUrl: `urn:uuid:${crypto.randomUUID()}`,
              resource: patient(id),
              request: { method: 'PUT', url: `Patient/${id}` },
            }
          }),
        })
      report(
        summarize(
          `POST /fhir ${type} of ${size} creates`,
          await time(
            size === 100 ? 30 : 100,
            (i) => expectStatus(fetch('/fhir', { method: 'POST', headers, body: bundle(i) }), 200),
            5
          )
        )
      )
    }
  },
}
export default benchCase

// Core request path: authentication (root, cached KV client, bearer JWT and opaque tokens, refused),
// read by id, create, and the seed page's token search on the shipped seed. Shows what the auth layer
// adds to a request: the bearer lines sit next to the Basic ones (issue 11).

import { basicHeader, seedResources } from '../../local.ts'
import { expectStatus, summarize, time, type BenchCase } from '../harness.ts'

const benchCase: BenchCase = {
  name: 'core request path (shipped seed, 574 resources)',
  async run({ fetch, rootAuth, report }) {
    const json = { 'content-type': 'application/fhir+json' }
    for (const r of seedResources()) {
      await expectStatus(
        fetch(`/fhir/${r.resourceType}/${r.id}`, {
          method: 'PUT',
          headers: { authorization: rootAuth, ...json },
          body: JSON.stringify(r),
        }),
        201
      )
    }
    await expectStatus(
      fetch('/Client/bench-client', {
        method: 'PUT',
        headers: { authorization: rootAuth, ...json },
        body: JSON.stringify({
          secret: 'bench-secret',
          grant_types: ['basic', 'client_credentials'],
          scope: ['system/*.cruds'],
        }),
      }),
      201
    )
    await expectStatus(
      fetch('/AccessPolicy/bench-allow', {
        method: 'PUT',
        headers: { authorization: rootAuth, ...json },
        body: JSON.stringify({ engine: 'allow', link: [{ reference: 'Client/bench-client' }] }),
      }),
      201
    )
    const client = basicHeader('bench-client', 'bench-secret')
    const bearer = async (format: 'jwt' | 'opaque') => {
      const auth = { token_format: format === 'jwt' ? 'jwt' : undefined }
      await expectStatus(
        fetch(`/Client/bench-${format}`, {
          method: 'PUT',
          headers: { authorization: rootAuth, ...json },
          body: JSON.stringify({
            secret: 'bench-secret',
            grant_types: ['client_credentials'],
            scope: ['system/*.cruds'],
            auth: { client_credentials: auth },
          }),
        }),
        201
      )
      await expectStatus(
        fetch(`/AccessPolicy/bench-${format}-allow`, {
          method: 'PUT',
          headers: { authorization: rootAuth, ...json },
          body: JSON.stringify({
            engine: 'allow',
            link: [{ reference: `Client/bench-${format}` }],
          }),
        }),
        201
      )
      const res = await expectStatus(
        fetch('/auth/token', {
          method: 'POST',
          headers: {
            authorization: basicHeader(`bench-${format}`, 'bench-secret'),
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        }),
        200
      )
      return `Bearer ${((await res.json()) as { access_token: string }).access_token}`
    }
    const jwt = await bearer('jwt')
    const opaque = await bearer('opaque')

    report(
      summarize('GET /health (no auth)', await time(500, () => expectStatus(fetch('/health'), 200)))
    )
    const search = '/fhir/Observation?code=4548-4&_count=2'
    report(
      summarize(
        `root   GET ${search}`,
        await time(500, () =>
          expectStatus(fetch(search, { headers: { authorization: rootAuth } }), 200)
        )
      )
    )
    report(
      summarize(
        `client GET ${search}`,
        await time(500, () =>
          expectStatus(fetch(search, { headers: { authorization: client } }), 200)
        )
      )
    )
    report(
      summarize(
        `jwt    GET ${search}`,
        await time(500, () => expectStatus(fetch(search, { headers: { authorization: jwt } }), 200))
      )
    )
    report(
      summarize(
        `opaque GET ${search}`,
        await time(500, () =>
          expectStatus(fetch(search, { headers: { authorization: opaque } }), 200)
        )
      )
    )
    report(
      summarize(
        'wrong secret -> 401 (PBKDF2, 100k iterations)',
        await time(
          50,
          // Each attempt from its own id and address: the authentication limits would answer 429.
          (n) =>
            expectStatus(
              fetch(search, {
                headers: {
                  authorization: basicHeader(`bench-wrong-${n}`, 'not-the-secret'),
                  'cf-connecting-ip': `2001:db8:${n.toString(16)}::1`,
                },
              }),
              401
            ),
          5
        )
      )
    )
    const obs = seedResources().find((r) => r.resourceType === 'Observation')!
    report(
      summarize(
        'client GET /fhir/Observation/:id',
        await time(500, () =>
          expectStatus(
            fetch(`/fhir/Observation/${obs.id}`, { headers: { authorization: client } }),
            200
          )
        )
      )
    )
    report(
      summarize(
        'client POST /fhir/Observation (create)',
        await time(300, () =>
          expectStatus(
            fetch('/fhir/Observation', {
              method: 'POST',
              headers: { authorization: client, ...json },
              body: JSON.stringify({ ...obs, id: undefined }),
            }),
            201
          )
        )
      )
    )
  },
}
export default benchCase

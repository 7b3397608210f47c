// SMART App Launch (issue 12): what an app's requests cost. A person logs in and allows an app
// (authorization code with PKCE, driven here as a browser would), then: the app's searches under a
// patient/ scope (a compartment restriction in the SQL) next to the same search by a client with
// system/ scopes, the patient's own record read, and refresh with rotation (one D1 read and one
// batch per refresh).

import { createHash, randomBytes } from 'node:crypto'
import { basicHeader } from '../../local.ts'
import { expectStatus, ORIGIN, summarize, time, type BenchCase } from '../harness.ts'

const REDIRECT = 'https://app.bench/callback'
const b64url = (bytes: Buffer) => bytes.toString('base64url')

const benchCase: BenchCase = {
  name: 'SMART app (authorization code grant; 1 patient, 200 Observations)',
  async run({ fetch, rootAuth, report }) {
    const json = { 'content-type': 'application/fhir+json' }
    const put = (path: string, body: unknown, status = 201) =>
      expectStatus(
        fetch(path, {
          method: 'PUT',
          headers: { authorization: rootAuth, ...json },
          body: JSON.stringify(body),
        }),
        status
      )
    await put('/fhir/Patient/pt-bench', {
      resourceType: 'Patient',
      id: 'pt-bench',
      name: [{ given: ['Ada'], family: 'Bench' }],
    })
    // 200 Observations: half the patient's, half another patient's (the restriction has work to do).
    for (let i = 0; i < 200; i++) {
      await put(`/fhir/Observation/obs-${i}`, {
        resourceType: 'Observation',
        id: `obs-${i}`,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
        subject: { reference: i % 2 ? 'Patient/pt-bench' : 'Patient/pt-other' },
        valueQuantity: { value: 5 + (i % 30) / 10, unit: '%' },
      })
    }
    await put('/User/ada', {
      email: 'ada@bench.example',
      password: 'bench-password',
      fhirUser: { reference: 'Patient/pt-bench' },
    })
    await put('/Client/bench-app', {
      secret: 'bench-app-secret',
      grant_types: ['authorization_code', 'refresh_token'],
      scope: ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs'],
      auth: { authorization_code: { redirect_uri: REDIRECT } },
    })
    await put('/AccessPolicy/bench-app-allow', {
      engine: 'allow',
      link: [{ reference: 'Client/bench-app' }],
    })
    await put('/Client/bench-system', {
      secret: 'bench-secret',
      grant_types: ['client_credentials'],
      scope: ['system/*.rs'],
      auth: { client_credentials: { token_format: 'jwt' } },
    })
    await put('/AccessPolicy/bench-system-allow', {
      engine: 'allow',
      link: [{ reference: 'Client/bench-system' }],
    })

    // The browser's part: authorize, log in, allow (cookies kept by hand).
    const cookies = new Map<string, string>()
    const browse = async (path: string, form?: Record<string, string | string[]>) => {
      const headers: Record<string, string> = {
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      }
      let body: string | undefined
      if (form) {
        const params = new URLSearchParams()
        for (const [k, v] of Object.entries(form))
          for (const one of [v].flat()) params.append(k, one)
        body = params.toString()
        headers['content-type'] = 'application/x-www-form-urlencoded'
        headers['sec-fetch-site'] = 'same-origin'
      }
      const res = await fetch(path, {
        method: form ? 'POST' : 'GET',
        headers,
        body,
        redirect: 'manual',
      })
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';')
        const at = pair!.indexOf('=')
        cookies.set(pair!.slice(0, at), pair!.slice(at + 1))
      }
      await res.arrayBuffer()
      return res
    }
    const verifier = b64url(randomBytes(48))
    const challenge = b64url(createHash('sha256').update(verifier).digest())
    const origin = ORIGIN
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'bench-app',
      redirect_uri: REDIRECT,
      scope: 'launch/patient openid fhirUser offline_access patient/*.rs',
      state: 'bench',
      aud: `${origin}/fhir`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })
    const toLogin = await browse(`/auth/authorize?${query}`)
    const handle = new URL(toLogin.headers.get('location')!).searchParams.get('request')!
    await expectStatus(
      browse('/auth/login', {
        request: handle,
        username: 'ada@bench.example',
        password: 'bench-password',
      }),
      303
    )
    const allowed = await browse('/auth/consent', {
      request: handle,
      decision: 'allow',
      scope: ['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs'],
    })
    const code = new URL(allowed.headers.get('location')!).searchParams.get('code')!
    const tokenCall = (
      form: Record<string, string>,
      who = basicHeader('bench-app', 'bench-app-secret')
    ) =>
      expectStatus(
        fetch('/auth/token', {
          method: 'POST',
          headers: { authorization: who, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        }),
        200
      )
    let grant = (await (
      await tokenCall({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        code_verifier: verifier,
      })
    ).json()) as { access_token: string; refresh_token: string }
    const app = `Bearer ${grant.access_token}`
    const system = `Bearer ${((await (await tokenCall({ grant_type: 'client_credentials' }, basicHeader('bench-system', 'bench-secret'))).json()) as { access_token: string }).access_token}`

    const search = '/fhir/Observation?code=4548-4&_count=10'
    report(
      summarize(
        `system/*.rs jwt  GET ${search}`,
        await time(300, () =>
          expectStatus(fetch(search, { headers: { authorization: system } }), 200)
        )
      )
    )
    report(
      summarize(
        `patient/*.rs app GET ${search}`,
        await time(300, () => expectStatus(fetch(search, { headers: { authorization: app } }), 200))
      )
    )
    report(
      summarize(
        'patient/*.rs app GET /fhir/Patient/pt-bench',
        await time(300, () =>
          expectStatus(fetch('/fhir/Patient/pt-bench', { headers: { authorization: app } }), 200)
        )
      )
    )
    report(
      summarize(
        'POST /auth/token refresh_token (rotation)',
        await time(100, async () => {
          const res = await tokenCall({
            grant_type: 'refresh_token',
            refresh_token: grant.refresh_token,
          })
          grant = (await res.clone().json()) as typeof grant
          return res
        })
      )
    )
  },
}
export default benchCase

// Every type a search reads needs an `s` scope (scopes-and-launch-context "Scopes for requesting FHIR
// resources"; the g10 test kit fails a 200 with an empty Bundle where access is missing): `_include`
// targets, `_revinclude` sources, chain and `_has` hops, compartment members, and the types of a
// system search (every type without `_type`: a `*` scope). Missing: 403 insufficient_scope (RFC 6750
// §3.1) naming the scope, for the whole request, whatever the data.

import { describe, expect, it } from 'vitest'
import { call } from './helpers.ts'
import {
  entriesOf,
  expectInsufficientScope,
  getOk,
  privateTag,
  tokenWith,
} from './scope-helpers.ts'

async function data() {
  const tag = privateTag('derived')
  const pt = `pt-${crypto.randomUUID().slice(0, 8)}`
  await tag.put(
    { resourceType: 'Patient', id: pt, name: [{ family: 'Derived' }] },
    {
      resourceType: 'Observation',
      id: `${pt}-obs`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
      subject: { reference: `Patient/${pt}` },
    }
  )
  return { tag, pt }
}

describe('reads derived from a search need s on every type they read', () => {
  it('_include needs s on the target type', async () => {
    const { tag, pt } = await data()
    const path = `/fhir/Observation?${tag.param}&_include=Observation:subject:Patient`
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Observation.rs') }),
      'system/Patient.s'
    )
    // A read scope on Patient is not a search scope.
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Observation.rs system/Patient.r') }),
      'system/Patient.s'
    )
    const bundle = await getOk(path, await tokenWith('system/Observation.s system/Patient.s'))
    expect(entriesOf(bundle, 'include')).toEqual([`Patient/${pt}`])
  })

  it('_include without a target type needs every type the parameter can refer to', async () => {
    const { tag } = await data()
    const path = `/fhir/Observation?${tag.param}&_include=Observation:subject`
    const res = await call('GET', path, {
      auth: await tokenWith('system/Observation.s system/Patient.s'),
    })
    await expectInsufficientScope(res)
    expect(res.headers.get('www-authenticate')).toMatch(
      /scope="system\/(Group|Device|Location)\.s"/
    )
    await getOk(
      path,
      await tokenWith(
        'system/Observation.s system/Patient.s system/Group.s system/Device.s system/Location.s'
      )
    )
  })

  it('_include:iterate needs its targets too', async () => {
    const { tag } = await data()
    const path =
      `/fhir/Observation?${tag.param}&_include=Observation:subject:Patient` +
      '&_include:iterate=Patient:organization'
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Observation.s system/Patient.s') }),
      'system/Organization.s'
    )
  })

  it('_revinclude needs s on the source type', async () => {
    const { tag, pt } = await data()
    const path = `/fhir/Patient?${tag.param}&_revinclude=Observation:subject`
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Patient.rs') }),
      'system/Observation.s'
    )
    const bundle = await getOk(path, await tokenWith('system/Patient.s system/Observation.s'))
    expect(entriesOf(bundle, 'include')).toEqual([`Observation/${pt}-obs`])
  })

  it('a chain needs s on every type it goes through', async () => {
    const { tag } = await data()
    const path = `/fhir/Observation?${tag.param}&subject:Patient.organization.name=Acme`
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Observation.s') }),
      'system/Patient.s'
    )
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Observation.s system/Patient.s') }),
      'system/Organization.s'
    )
    await getOk(
      path,
      await tokenWith('system/Observation.s system/Patient.s system/Organization.s')
    )
  })

  it('_has needs s on the referring type', async () => {
    const { tag, pt } = await data()
    const path = `/fhir/Patient?${tag.param}&_has:Observation:subject:code=4548-4`
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Patient.s') }),
      'system/Observation.s'
    )
    const bundle = await getOk(path, await tokenWith('system/Patient.s system/Observation.s'))
    expect(entriesOf(bundle)).toEqual([`Patient/${pt}`])
  })

  it('the refusal does not depend on the data (403 with no match at all)', async () => {
    const path = '/fhir/Patient?_id=none-such&_revinclude=Observation:subject'
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Patient.s') }),
      'system/Observation.s'
    )
  })
})

describe('compartment and system searches need s on each type they search', () => {
  it('a compartment search needs s on the member type, not on the compartment', async () => {
    const { pt } = await data()
    await expectInsufficientScope(
      await call('GET', `/fhir/Patient/${pt}/Observation`, {
        auth: await tokenWith('system/Patient.rs'),
      }),
      'system/Observation.s'
    )
    const bundle = await getOk(
      `/fhir/Patient/${pt}/Observation`,
      await tokenWith('system/Observation.s')
    )
    expect(entriesOf(bundle)).toEqual([`Observation/${pt}-obs`])
  })

  it('a compartment search of every member type (/*) needs s on each', async () => {
    const { pt } = await data()
    await expectInsufficientScope(
      await call('GET', `/fhir/Patient/${pt}/*`, {
        auth: await tokenWith('system/Observation.s system/Patient.s'),
      })
    )
    await getOk(`/fhir/Patient/${pt}/*`, await tokenWith('system/*.s'))
  })

  it('a system search without _type reads every type: it needs a * scope', async () => {
    const { tag } = await data()
    const auth = await tokenWith('system/Patient.s system/Observation.s')
    await expectInsufficientScope(await call('GET', `/fhir?${tag.param}`, { auth }), 'system/*.s')
    await expectInsufficientScope(
      await call('POST', '/fhir/_search', {
        auth,
        body: tag.param,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      'system/*.s'
    )
    const bundle = await getOk(`/fhir?${tag.param}`, await tokenWith('system/*.s'))
    expect(entriesOf(bundle)).toHaveLength(2)
  })

  it('a system search with _type needs s on each listed type', async () => {
    const { tag, pt } = await data()
    const path = `/fhir?_type=Patient,Observation&${tag.param}`
    await expectInsufficientScope(
      await call('GET', path, { auth: await tokenWith('system/Patient.s') }),
      'system/Observation.s'
    )
    const bundle = await getOk(path, await tokenWith('system/Patient.s system/Observation.s'))
    expect(entriesOf(bundle)).toEqual([`Observation/${pt}-obs`, `Patient/${pt}`])
  })

  it('system history needs s on every type (a * scope)', async () => {
    await expectInsufficientScope(
      await call('GET', '/fhir/_history?_count=1', {
        auth: await tokenWith('system/Patient.s system/Observation.s'),
      }),
      'system/*.s'
    )
    await getOk('/fhir/_history?_count=1', await tokenWith('system/*.s'))
  })
})

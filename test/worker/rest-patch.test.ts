// patch (R4 http.html#patch) with JSON Patch (RFC 6902): the applier against the RFC's own examples,
// then the HTTP interaction: versions, If-Match, conditional patch, and patches that must write nothing.

import { beforeAll, describe, expect, it } from 'vitest'
import { applyPatch, parsePatch } from '../../src/fhir/rest/json-patch.ts'
import { FhirError } from '../../src/errors/outcome.ts'
import { MAX_BODY_BYTES } from '../../src/http/body.ts'
import { allowedClient, call, json, uniqueId } from './helpers.ts'
import { patient, privateIdentifier, versions } from './rest-helpers.ts'

const apply = (doc: unknown, ops: unknown) => applyPatch(doc, parsePatch(ops), MAX_BODY_BYTES)

function statusOf(run: () => unknown): number | 'ok' {
  try {
    run()
    return 'ok'
  } catch (err) {
    if (err instanceof FhirError) return err.status
    throw err
  }
}

describe('JSON Patch applier: the examples of RFC 6902 appendix A', () => {
  it.each([
    [
      'A.1 add an object member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { baz: 'qux', foo: 'bar' },
    ],
    [
      'A.2 add an array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    [
      'A.3 remove an object member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'A.4 remove an array element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'A.5 replace a value',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'A.6 move a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 move an array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 test succeeds',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [
      'A.10 add a nested member object',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    [
      'A.11 unrecognised members are ignored',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }],
      { foo: 'bar', baz: 'qux' },
    ],
    [
      'A.14 ~ escape ordering',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }],
      { '/': 9, '~1': 10 },
    ],
    [
      'A.16 add an array value',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
      { foo: ['bar', ['abc', 'def']] },
    ],
    [
      'copy',
      { a: { b: [1] } },
      [{ op: 'copy', from: '/a', path: '/c' }],
      { a: { b: [1] }, c: { b: [1] } },
    ],
    [
      'test compares objects regardless of member order',
      { a: { x: 1, y: [1, 2] } },
      [{ op: 'test', path: '/a', value: { y: [1, 2], x: 1 } }],
      { a: { x: 1, y: [1, 2] } },
    ],
  ])('%s', (_label, doc, ops, expected) => {
    expect(apply(doc, ops)).toEqual(expected)
  })

  it.each([
    ['A.9 a failing test', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    [
      'A.12 add to a missing parent',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz/bat', value: 'qux' }],
    ],
    [
      'A.15 a string is not a number',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: '10' }],
    ],
    ['remove of a missing member', { foo: 1 }, [{ op: 'remove', path: '/bar' }]],
    ['replace of a missing member', { foo: 1 }, [{ op: 'replace', path: '/bar', value: 2 }]],
    ['an array index past the end', { foo: [1] }, [{ op: 'add', path: '/foo/2', value: 3 }]],
    [
      'an array index with a leading zero',
      { foo: [1, 2] },
      [{ op: 'replace', path: '/foo/01', value: 3 }],
    ],
    [
      'moving a value into its own child',
      { a: { b: {} } },
      [{ op: 'move', from: '/a', path: '/a/b/c' }],
    ],
  ])('422 for %s, leaving the document unchanged', (_label, doc, ops) => {
    const before = structuredClone(doc)
    expect(statusOf(() => apply(doc, ops))).toBe(422)
    expect(doc).toEqual(before)
  })

  it.each([
    ['a document that is not an array', { op: 'add', path: '/a', value: 1 }],
    ['an unknown op', [{ op: 'merge', path: '/a', value: 1 }]],
    ['a path without a leading slash', [{ op: 'add', path: 'a', value: 1 }]],
    ['add without a value', [{ op: 'add', path: '/a' }]],
    ['move without from', [{ op: 'move', path: '/a' }]],
    ['an invalid ~ escape', [{ op: 'remove', path: '/a~2' }]],
    ['a __proto__ path', [{ op: 'add', path: '/__proto__/polluted', value: true }]],
  ])('400 for a malformed patch: %s', (_label, ops) => {
    expect(statusOf(() => parsePatch(ops))).toBe(400)
  })

  it('all or nothing: a failure in a later operation leaves no earlier change', () => {
    const doc = { a: 1 }
    expect(
      statusOf(() =>
        apply(doc, [
          { op: 'replace', path: '/a', value: 2 },
          { op: 'test', path: '/a', value: 3 },
        ])
      )
    ).toBe(422)
    expect(doc).toEqual({ a: 1 })
  })
})

describe('patch interaction (http.html#patch)', () => {
  let auth: string
  beforeAll(async () => {
    auth = (await allowedClient('patch')).auth
  })

  const JSON_PATCH = { 'content-type': 'application/json-patch+json' }
  const create = async (id: string, extra: Record<string, unknown> = {}) => {
    const res = await call('PUT', `/fhir/Patient/${id}`, { auth, body: patient(id, extra) })
    expect(res.status).toBe(201)
  }
  const patchIt = (path: string, ops: unknown, headers: Record<string, string> = {}) =>
    call('PATCH', path, { auth, body: ops, headers: { ...JSON_PATCH, ...headers } })

  it('applies the patch as a new version (method PATCH) and answers the patched resource with its ETag', async () => {
    const id = uniqueId('p')
    await create(id)
    const res = await patchIt(`/fhir/Patient/${id}`, [
      { op: 'replace', path: '/gender', value: 'female' },
      { op: 'add', path: '/name/0/given/-', value: 'Jim' },
      { op: 'remove', path: '/birthDate' },
    ])
    expect(res.status).toBe(200)
    expect(res.headers.get('etag')).toBe('W/"2"')
    const body = await json(res)
    expect(body).toMatchObject({
      id,
      gender: 'female',
      name: [{ given: ['Peter', 'James', 'Jim'] }],
      meta: { versionId: '2' },
    })
    expect(body).not.toHaveProperty('birthDate')
    expect((await versions('Patient', id)).map((v) => v.method)).toEqual(['PUT', 'PATCH'])
    expect(await json(await call('GET', `/fhir/Patient/${id}`, { auth }))).toEqual(body)
  })

  it('If-Match: 412 on a stale version, 200 on the current one', async () => {
    const id = uniqueId('pifm')
    await create(id)
    const ops = [{ op: 'replace', path: '/gender', value: 'other' }]
    expect((await patchIt(`/fhir/Patient/${id}`, ops, { 'if-match': 'W/"2"' })).status).toBe(412)
    expect((await patchIt(`/fhir/Patient/${id}`, ops, { 'if-match': 'W/"1"' })).status).toBe(200)
  })

  it.each([
    [
      '422 for a failing test operation',
      [
        { op: 'test', path: '/gender', value: 'female' },
        { op: 'replace', path: '/gender', value: 'x' },
      ],
      422,
    ],
    [
      '422 for a path that does not exist',
      [{ op: 'replace', path: '/maritalStatus/text', value: 'x' }],
      422,
    ],
    [
      '400 for a patch that changes the id',
      [{ op: 'replace', path: '/id', value: 'other-id' }],
      400,
    ],
    ['400 for a patch that removes the id', [{ op: 'remove', path: '/id' }], 400],
    [
      '400 for a patch that changes resourceType',
      [{ op: 'replace', path: '/resourceType', value: 'Person' }],
      400,
    ],
    [
      '400 for a patch that replaces the resource with a non-object',
      [{ op: 'replace', path: '', value: [] }],
      400,
    ],
    ['400 for a malformed patch document', { op: 'replace', path: '/gender', value: 'x' }, 400],
  ])('%s, and nothing is written', async (_label, ops, status) => {
    const id = uniqueId('pbad')
    await create(id)
    const res = await patchIt(`/fhir/Patient/${id}`, ops)
    expect(res.status).toBe(status)
    expect((await json(res)).resourceType).toBe('OperationOutcome')
    expect((await versions('Patient', id)).length).toBe(1)
  })

  it('415 for a patch that is not JSON Patch (plain JSON, FHIRPath Patch Parameters, XML)', async () => {
    const id = uniqueId('p415')
    await create(id)
    for (const contentType of ['application/json', 'application/fhir+json', 'application/xml']) {
      const res = await call('PATCH', `/fhir/Patient/${id}`, {
        auth,
        body: [],
        headers: { 'content-type': contentType },
      })
      expect(res.status, contentType).toBe(415)
      expect((await json(res)).issue[0].diagnostics).toMatch(
        /only JSON Patch \(application\/json-patch\+json\)/
      )
    }
  })

  it('404 for a missing resource, 410 for a deleted one', async () => {
    const ops = [{ op: 'replace', path: '/gender', value: 'female' }]
    expect((await patchIt(`/fhir/Patient/${uniqueId('pmiss')}`, ops)).status).toBe(404)
    const id = uniqueId('pdel')
    await create(id)
    await call('DELETE', `/fhir/Patient/${id}`, { auth })
    expect((await patchIt(`/fhir/Patient/${id}`, ops)).status).toBe(410)
  })

  it("server-owned meta stays the server's, and a patch that changes nothing makes no version", async () => {
    const id = uniqueId('pmeta')
    await create(id)
    const res = await patchIt(`/fhir/Patient/${id}`, [
      { op: 'replace', path: '/meta/versionId', value: '99' },
    ])
    expect(res.status).toBe(200)
    expect((await json(res)).meta.versionId).toBe('1')
    expect(res.headers.get('etag')).toBe('W/"1"')
    expect((await versions('Patient', id)).length).toBe(1)
  })

  it('conditional patch: one match is patched, none is 404, several are 412', async () => {
    const identifier = privateIdentifier()
    const query = `identifier=${encodeURIComponent(`${identifier.system}|${identifier.value}`)}`
    const ops = [{ op: 'replace', path: '/gender', value: 'female' }]
    expect((await patchIt(`/fhir/Patient?${query}`, ops)).status).toBe(404)
    const id = uniqueId('pcond')
    await create(id, { identifier: [identifier] })
    const one = await patchIt(`/fhir/Patient?${query}`, ops)
    expect(one.status).toBe(200)
    expect((await json(one)).id).toBe(id)
    await create(uniqueId('pcond2'), { identifier: [identifier] })
    expect((await patchIt(`/fhir/Patient?${query}`, ops)).status).toBe(412)
  })
})

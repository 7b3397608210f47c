// THE interaction table of the FHIR API (R4 http.html): every interaction once, with its method, path
// under the FHIR base, the Aidbox operation id it is authorised as, its SMART scope letter (and
// whether its handler applies granular scopes), the CapabilityStatement codes it implements, the
// body it takes, and its handler. routes.ts mounts it
// as the Hono routes of /fhir; batch and transaction entries are matched against it and call the
// same handlers; /auth/test-policy resolves operations through it; capability.ts lists it. Rows are
// in matching order: a static segment (metadata, _history, _search) comes before a parameter.
// To add an interaction: add a row here and write its handler.

import { parsePatch } from './rest/json-patch.ts'
import { routeMatcher } from '../http/route-matcher.ts'
import {
  document,
  written,
  type FhirCall,
  type FhirInteraction,
  type InteractionMatcher,
} from './call.ts'
import { capabilityStatement } from './rest/capability.ts'
import { history, parseHistoryQuery } from './rest/history.ts'
import { read, vread } from './rest/read.ts'
import {
  prepareCompartment,
  prepareSystem,
  prepareType,
  searchCompartment,
  searchSystem,
  searchType,
} from './rest/search.ts'
import * as rest from './rest/write-interactions.ts'
import { compartmentWrites, type WriteLetter } from './rest/compartment-writes.ts'
import { runBundle } from './bundle-processing/run-bundle.ts'
import { validateOperation } from './rest/validate-operation.ts'

const BASE = ['', '/']
const target = (call: FhirCall) => call.params as { type: string; id: string }
/** What a write of `letter` checks when the caller's grant is limited to a patient's compartment. */
const checkOf = (call: FhirCall, letter: WriteLetter) =>
  compartmentWrites(call.scopes, call.params.type!, letter)
const ifMatch = (call: FhirCall, letter: WriteLetter) => ({
  ifMatch: call.header('if-match'),
  check: checkOf(call, letter),
})
/** Options of a conditional write: If-Match, and the authorisation of its criteria as a search. */
const conditional = (call: FhirCall, letter: WriteLetter) => ({
  ...ifMatch(call, letter),
  access: call.authorizeSearch,
})
/** Write options of an instance write: If-Match, and the row a batch read ahead. */
const instance = (call: FhirCall, letter: WriteLetter) => {
  const { type, id } = target(call)
  return { ...ifMatch(call, letter), current: call.current?.(type, id) }
}
const resource = async (call: FhirCall) => (await call.body()) as Record<string, unknown>
const patchOf = async (call: FhirCall) => parsePatch(await call.body())
const checkHistory = async (call: FhirCall) => void parseHistoryQuery(call.query)

export const FHIR_INTERACTIONS: readonly FhirInteraction[] = [
  {
    name: 'capabilities',
    method: 'GET',
    path: '/metadata',
    operation: null, // public, like every FHIR server's: clients read it before they authenticate
    capability: [],
    inBundle: true,
    handler: async (call) => document(capabilityStatement(call.base, FHIR_INTERACTIONS)),
  },
  {
    name: 'history-system',
    method: 'GET',
    path: '/_history',
    operation: 'FhirSystemHistory',
    smart: 's',
    capability: ['history-system'],
    inBundle: true,
    handler: history,
    check: checkHistory,
  },
  {
    name: 'batch-transaction',
    method: 'POST',
    path: BASE, // [base] and [base]/, as clients such as fhir-kit-client send it
    operation: 'FhirTransaction',
    smart: 'entries',
    capability: ['batch', 'transaction'],
    body: 'bundle',
    inBundle: false,
    handler: (call) => runBundle(call, matchInteraction),
  },
  {
    name: 'search-system',
    method: 'GET',
    path: BASE,
    operation: 'FhirSearch',
    smart: 's',
    granular: true,
    capability: ['search-system'],
    inBundle: true,
    handler: (call) => searchSystem(call),
    check: async (call) => void (await prepareSystem(call)),
  },
  {
    name: 'validate-system',
    method: 'POST',
    path: '/$validate',
    operation: 'FhirValidate',
    // Validating asks whether a create would pass: it needs the create letter (writes nothing).
    smart: 'c',
    capability: [],
    body: 'json',
    inBundle: false,
    handler: validateOperation,
  },
  {
    name: 'search-system-post',
    method: 'POST',
    path: '/_search',
    operation: 'FhirSearch',
    smart: 's',
    granular: true,
    capability: [],
    body: 'form',
    inBundle: false,
    handler: (call) => searchSystem(call, true),
  },
  {
    name: 'history-type',
    method: 'GET',
    path: '/:type/_history',
    operation: 'FhirTypeHistory',
    smart: 's',
    capability: ['history-type'],
    inBundle: true,
    handler: history,
    check: checkHistory,
  },
  {
    name: 'history-instance',
    method: 'GET',
    path: '/:type/:id/_history',
    operation: 'FhirHistory',
    smart: 'r',
    capability: ['history-instance'],
    inBundle: true,
    handler: history,
    check: checkHistory,
  },
  {
    name: 'vread',
    method: 'GET',
    path: '/:type/:id/_history/:vid',
    operation: 'FhirVRead',
    smart: 'r',
    capability: ['vread'],
    inBundle: true,
    handler: vread,
  },
  {
    name: 'validate-type',
    method: 'POST',
    path: '/:type/$validate',
    operation: 'FhirValidate',
    smart: 'c',
    capability: [],
    body: 'json',
    inBundle: false,
    handler: validateOperation,
  },
  {
    name: 'search-type-post',
    method: 'POST',
    path: '/:type/_search',
    operation: 'FhirSearch',
    smart: 's',
    granular: true,
    capability: [],
    body: 'form',
    inBundle: false,
    handler: (call) => searchType(call, true),
  },
  {
    name: 'read',
    method: 'GET',
    path: '/:type/:id',
    operation: 'FhirRead',
    smart: 'r',
    granular: true,
    capability: ['read'],
    inBundle: true,
    handler: read,
  },
  {
    name: 'create',
    method: 'POST',
    path: '/:type',
    operation: 'FhirCreate',
    smart: 'c',
    checksWrites: true,
    capability: ['create'],
    body: 'json',
    inBundle: true,
    handler: async (call) =>
      written(
        await rest.create(call.db, call.params.type!, await resource(call), {
          ifNoneExist: call.header('if-none-exist'),
          access: call.authorizeSearch,
          check: checkOf(call, 'c'),
        })
      ),
  },
  {
    name: 'update',
    method: 'PUT',
    path: '/:type/:id',
    operation: 'FhirUpdate',
    smart: 'u',
    checksWrites: true,
    capability: ['update'],
    body: 'json',
    inBundle: true,
    handler: async (call) => {
      const { type, id } = target(call)
      return written(
        await rest.update(call.db, type, id, await resource(call), instance(call, 'u'))
      )
    },
  },
  {
    name: 'conditional-update',
    method: 'PUT',
    path: '/:type',
    operation: 'FhirConditionalUpdate',
    smart: 'u',
    checksWrites: true,
    capability: [],
    body: 'json',
    inBundle: true,
    handler: async (call) =>
      written(
        await rest.conditionalUpdate(
          call.db,
          call.params.type!,
          call.query,
          await resource(call),
          conditional(call, 'u')
        )
      ),
  },
  {
    name: 'patch',
    method: 'PATCH',
    path: '/:type/:id',
    operation: 'FhirPatch',
    smart: 'u',
    checksWrites: true,
    capability: ['patch'],
    body: 'json-patch',
    inBundle: true,
    handler: async (call) => {
      const { type, id } = target(call)
      return written(await rest.patch(call.db, type, id, await patchOf(call), instance(call, 'u')))
    },
  },
  {
    name: 'conditional-patch',
    method: 'PATCH',
    path: '/:type',
    operation: 'FhirConditionalPatch',
    smart: 'u',
    checksWrites: true,
    capability: [],
    body: 'json-patch',
    inBundle: true,
    handler: async (call) =>
      written(
        await rest.conditionalPatch(
          call.db,
          call.params.type!,
          call.query,
          await patchOf(call),
          conditional(call, 'u')
        )
      ),
  },
  {
    name: 'delete',
    method: 'DELETE',
    path: '/:type/:id',
    operation: 'FhirDelete',
    smart: 'd',
    checksWrites: true,
    capability: ['delete'],
    inBundle: true,
    handler: async (call) => {
      const { type, id } = target(call)
      return written(await rest.remove(call.db, type, id, instance(call, 'd')))
    },
  },
  {
    name: 'conditional-delete',
    method: 'DELETE',
    path: '/:type',
    operation: 'FhirConditionalDelete',
    smart: 'd',
    checksWrites: true,
    capability: [],
    inBundle: true,
    handler: async (call) =>
      written(
        await rest.conditionalDelete(call.db, call.params.type!, call.query, conditional(call, 'd'))
      ),
  },
  {
    name: 'search-type',
    method: 'GET',
    path: '/:type',
    operation: 'FhirSearch',
    smart: 's',
    granular: true,
    capability: ['search-type'],
    inBundle: true,
    handler: (call) => searchType(call),
    check: async (call) => void (await prepareType(call)),
  },
  {
    name: 'search-compartment',
    method: 'GET',
    path: '/:compartment/:id/:type',
    operation: 'FhirSearch',
    smart: 's',
    granular: true,
    capability: [],
    inBundle: true,
    handler: searchCompartment,
    check: async (call) => void (await prepareCompartment(call)),
  },
]

const matcher = routeMatcher(
  FHIR_INTERACTIONS.map((row) => ({
    ...row,
    paths: (typeof row.path === 'string' ? [row.path] : row.path).map((p) => `/fhir${p}`),
  }))
)

/**
 * The interaction a method and path (under /fhir, e.g. `/fhir/Patient/1`) ask for, with its params
 * as written (percent-encoded); the first row that matches, as for an HTTP request.
 */
export const matchInteraction: InteractionMatcher = (method, path) => matcher(method, path)

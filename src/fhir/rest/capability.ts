// GET /fhir/metadata (R4 http.html#capabilities, capabilitystatement.html): what this server really
// does, generated from the same tables the routes use: every R4 resource type of the registry, the
// interactions routes.ts implements, and the search parameters the search engine applies. Built once
// per isolate and base URL.

import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import { searchParamsFor } from '../index/registry.ts'
import { isSearchable } from '../search/parse.ts'
import { JSON_PATCH } from './patch-body.ts'

/** Instance and type interactions of every resource type (routes.ts). */
const TYPE_INTERACTIONS = [
  'read',
  'vread',
  'update',
  'patch',
  'delete',
  'history-instance',
  'history-type',
  'create',
  'search-type',
] as const

/** System interactions (POST /fhir with a Bundle, GET /fhir/_history, GET /fhir?_type=… in search-routes.ts). */
const SYSTEM_INTERACTIONS = ['transaction', 'batch', 'search-system', 'history-system'] as const

const statements = new Map<string, string>()
let published: string | undefined

/** The CapabilityStatement as JSON text, for `base` (the public base URL, no trailing slash). */
export function capabilityStatement(base: string): string {
  let text = statements.get(base)
  if (text) return text
  published ??= new Date().toISOString() // first use in this isolate: Workers freeze time at global scope
  text = JSON.stringify(build(base, published))
  statements.set(base, text)
  return text
}

function build(base: string, date: string): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'edge-fhir',
    kind: 'instance',
    software: { name: 'edge-fhir' },
    implementation: { description: 'edge-fhir: FHIR R4 on Cloudflare Workers and D1', url: `${base}/fhir` },
    fhirVersion: '4.0.1',
    format: ['json'],
    patchFormat: [JSON_PATCH],
    rest: [
      {
        mode: 'server',
        security: {
          cors: false,
          description:
            'HTTP Basic with Client credentials (SMART client-confidential-symmetric); every request is ' +
            'authorised by AccessPolicies. This statement is public.',
        },
        resource: RESOURCE_TYPES.map((type) => ({
          type,
          interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
          versioning: 'versioned-update',
          readHistory: true,
          updateCreate: true,
          conditionalCreate: true,
          conditionalRead: 'full-support',
          conditionalUpdate: true,
          conditionalDelete: 'single',
          searchParam: searchParamsFor(type)
            .filter(isSearchable)
            .map((def) => ({ name: def.code, type: def.type })),
        })),
        interaction: SYSTEM_INTERACTIONS.map((code) => ({ code })),
      },
    ],
  }
}

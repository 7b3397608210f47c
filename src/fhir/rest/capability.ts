// GET /fhir/metadata (R4 http.html#capabilities, capabilitystatement.html): what this server really
// does, generated from the same tables the routes use: every R4 resource type of the registry, the
// interactions of the interaction table (type level where the path names :type, else system level),
// and the search parameters the search engine applies. Built once per isolate and base URL.
// `rest.security` names SMART on FHIR and the token service's URLs (the oauth-uris extension), the
// same ones /.well-known/smart-configuration lists (src/http/oauth-urls.ts builds both).

import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'
import { searchParamsFor } from '../index/registry.ts'
import { isSearchable } from '../search/parse.ts'
import { JSON_PATCH } from '../../http/body.ts'
import { oauthUrls } from '../../http/oauth-urls.ts'
import type { FhirInteraction } from '../call.ts'

const statements = new Map<string, string>()
let published: string | undefined

/** The CapabilityStatement as JSON text, for `base` (the public base URL, no trailing slash). */
export function capabilityStatement(
  base: string,
  interactions: readonly FhirInteraction[]
): string {
  let text = statements.get(base)
  if (text) return text
  published ??= new Date().toISOString() // first use in this isolate: Workers freeze time at global scope
  text = JSON.stringify(build(base, published, interactions))
  statements.set(base, text)
  return text
}

function build(
  base: string,
  date: string,
  interactions: readonly FhirInteraction[]
): Record<string, unknown> {
  const typeLevel = (row: FhirInteraction) => [row.path].flat().some((p) => p.startsWith('/:type'))
  const codes = (level: boolean) => [
    ...new Set(
      interactions.filter((row) => typeLevel(row) === level).flatMap((row) => row.capability)
    ),
  ]
  const typeInteractions = codes(true).map((code) => ({ code }))
  const urls = oauthUrls(base)
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    publisher: 'edge-fhir',
    kind: 'instance',
    software: { name: 'edge-fhir' },
    implementation: {
      description: 'edge-fhir: FHIR R4 on Cloudflare Workers and D1',
      url: `${base}/fhir`,
    },
    fhirVersion: '4.0.1',
    format: ['json'],
    patchFormat: [JSON_PATCH],
    rest: [
      {
        mode: 'server',
        security: {
          cors: true,
          service: [
            {
              coding: [
                {
                  system: 'http://terminology.hl7.org/CodeSystem/restful-security-service',
                  code: 'SMART-on-FHIR',
                },
              ],
            },
          ],
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [
                { url: 'authorize', valueUri: urls.authorize },
                { url: 'token', valueUri: urls.token },
                { url: 'introspect', valueUri: urls.introspect },
                { url: 'revoke', valueUri: urls.revoke },
                { url: 'manage', valueUri: urls.management },
              ],
            },
          ],
          description:
            'Bearer access tokens from the token endpoint (SMART App Launch: authorization_code with PKCE ' +
            'and refresh_token; client_credentials; client_secret_basic, client_secret_post or ' +
            'private_key_jwt; see /.well-known/smart-configuration), or HTTP Basic with Client ' +
            'credentials; every request is authorised by AccessPolicies. This statement is public.',
        },
        resource: RESOURCE_TYPES.map((type) => ({
          type,
          interaction: typeInteractions,
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
        interaction: codes(false).map((code) => ({ code })),
      },
    ],
  }
}

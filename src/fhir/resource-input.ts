// Checks on the FHIR type, id and body of a create or update (R4 http.html#create, #update), each
// failure a 4xx OperationOutcome before anything is written.

import { badRequest, notFound } from '../errors/outcome.ts'
import { isId } from '../lib/ids.ts'
import { isResourceType } from './index/registry.ts'

export function checkType(type: string): void {
  if (!isResourceType(type)) {
    throw notFound(`Unknown resource type ${JSON.stringify(type)}: not a FHIR R4 resource type`)
  }
}

export function checkFhirId(id: string): void {
  if (!isId(id)) {
    throw badRequest(
      `Invalid id ${JSON.stringify(id)}: FHIR ids are 1-64 characters of A-Z a-z 0-9 - .`
    )
  }
}

/**
 * The route params of an interaction, checked before it runs: resource types (404 when unknown; a
 * compartment search may name `*`), ids and version ids (400 when malformed).
 */
export function checkParams(params: Readonly<Record<string, string>>): void {
  if (params.compartment !== undefined) checkType(params.compartment)
  if (params.type !== undefined && !(params.compartment !== undefined && params.type === '*'))
    checkType(params.type)
  if (params.id !== undefined) checkFhirId(params.id)
  if (params.vid !== undefined) checkFhirId(params.vid)
}

/** The body of a create: `resourceType` must match the URL; a client `id` is ignored (http.html#create). */
export function checkCreateBody(type: string, body: Record<string, unknown>): void {
  checkResourceType(type, body)
}

/** The body of an update: `resourceType` and `id` must match the URL (http.html#update). */
export function checkUpdateBody(type: string, id: string, body: Record<string, unknown>): void {
  checkResourceType(type, body)
  if (body.id === undefined)
    throw badRequest(`The resource has no id; it must be "${id}" as in the URL`, ['id'])
  if (body.id !== id) {
    throw badRequest(
      `The id in the body (${JSON.stringify(body.id)}) differs from the URL id "${id}"`,
      ['id']
    )
  }
}

function checkResourceType(type: string, body: Record<string, unknown>): void {
  if (body.resourceType !== type) {
    throw badRequest(
      `resourceType in the body (${JSON.stringify(body.resourceType ?? null)}) must be "${type}" as in the URL`,
      ['resourceType']
    )
  }
}

// Checks shared by the admin resources: the URL id, and the body's resourceType and id.

import { badRequest } from '../errors/outcome.ts'
import { isId } from '../lib/ids.ts'

export function checkId(id: string): void {
  if (!isId(id)) {
    throw badRequest(`Invalid id ${JSON.stringify(id)}: ids are 1-64 characters of A-Z a-z 0-9 - .`)
  }
}

export function checkEnvelope(body: Record<string, unknown>, type: string, id: string): void {
  if (body.resourceType !== undefined && body.resourceType !== type) {
    throw badRequest(`resourceType must be "${type}", got ${JSON.stringify(body.resourceType)}`, [
      'resourceType',
    ])
  }
  if (body.id !== undefined && body.id !== id) {
    throw badRequest(
      `The id in the body (${JSON.stringify(body.id)}) differs from the URL id "${id}"`,
      ['id']
    )
  }
}

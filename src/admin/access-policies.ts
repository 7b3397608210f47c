// Aidbox-compatible AccessPolicy resources: validated when saved (engine, engine body, links), so a
// policy that cannot be evaluated is refused with 400 instead of silently denying later.

import { badRequest, FhirError } from '../fhir/outcome.ts'
import type { StoredPolicy } from '../auth/store.ts'
import { compilePolicy, PolicyValidationError } from '../policy/engines/index.ts'
import { linkTarget } from '../policy/links.ts'
import { checkEnvelope } from './validate.ts'

export function preparePolicy(id: string, body: Record<string, unknown>): StoredPolicy {
  checkEnvelope(body, 'AccessPolicy', id)
  if (body.link !== undefined) {
    if (!Array.isArray(body.link)) throw badRequest('link must be an array', ['link'])
    body.link.forEach((link, i) => {
      const resolved = linkTarget(link)
      if ('error' in resolved) throw badRequest(`link[${i}] ${resolved.error}`, [`link[${i}]`])
    })
  }
  const { meta: _meta, ...fields } = body
  const policy: StoredPolicy = {
    ...fields,
    resourceType: 'AccessPolicy',
    id,
    meta: { lastUpdated: new Date().toISOString() },
  }
  try {
    compilePolicy(policy)
  } catch (err) {
    if (!(err instanceof PolicyValidationError)) throw err
    throw new FhirError(
      400,
      err.issues.map(({ path, message }) => ({
        severity: 'error' as const,
        code: 'invalid' as const,
        diagnostics: `Invalid AccessPolicy: ${path ? `${path}: ` : ''}${message}`,
        ...(path ? { expression: [path] } : {}),
      }))
    )
  }
  return policy
}

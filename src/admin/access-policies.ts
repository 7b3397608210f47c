// Aidbox-compatible AccessPolicy resources: validated when saved (engine, engine body, links), so a
// policy that cannot be evaluated is refused with 400 instead of silently denying later. Policies
// that Aidbox accepts but that open more than their author may think (an unlinked `allow`; a link
// to an Operation next to a Client or User link) are accepted, as in Aidbox, with a logged warning.

import { badRequest } from '../errors/outcome.ts'
import type { StoredPolicy } from '../config/store.ts'
import { compilePolicy, PolicyValidationError } from '../policy/engines/index.ts'
import { linkTarget } from '../policy/links.ts'
import { invalidPolicy } from '../policy/invalid-policy.ts'
import type { Log } from '../lib/log.ts'
import { checkEnvelope } from './validate.ts'

export function preparePolicy(id: string, body: Record<string, unknown>, log: Log): StoredPolicy {
  checkEnvelope(body, 'AccessPolicy', id)
  const targets: string[] = []
  if (body.link !== undefined) {
    if (!Array.isArray(body.link)) throw badRequest('link must be an array', ['link'])
    body.link.forEach((link, i) => {
      const resolved = linkTarget(link)
      if ('error' in resolved) throw badRequest(`link[${i}] ${resolved.error}`, [`link[${i}]`])
      targets.push(resolved.target)
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
    if (err instanceof PolicyValidationError) throw invalidPolicy(err)
    throw err
  }
  warnIfBroad(policy, targets, log)
  return policy
}

function warnIfBroad(policy: StoredPolicy, targets: readonly string[], log: Log): void {
  if (policy.roleName !== undefined) return // never applies (no Role resources: nobody holds a role)
  if (targets.length === 0 && policy.engine === 'allow') {
    log.warn(
      'saved an unlinked allow AccessPolicy: it opens every route to every caller, anonymous included',
      { policy: policy.id }
    )
  } else if (targets.some(isOperation) && !targets.every(isOperation)) {
    log.warn(
      'saved an AccessPolicy linked to an Operation and to a Client or User: links are OR-ed, ' +
        'so it applies to every caller of that operation, anonymous included',
      { policy: policy.id }
    )
  }
}

const isOperation = (target: string) => target.startsWith('Operation/')

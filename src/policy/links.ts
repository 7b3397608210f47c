// AccessPolicy `link` entries: both Aidbox forms, `{"resourceType":"Client","id":"x"}` and
// `{"reference":"Client/x"}`, normalised to "Client/x". Links may target Client, User or Operation.

import { isId } from '../lib/ids.ts'

const LINK_TYPES = ['Client', 'User', 'Operation'] as const

/** "Type/id" for a well-formed link, otherwise an error message. */
export function linkTarget(link: unknown): { target: string } | { error: string } {
  if (!link || typeof link !== 'object' || Array.isArray(link))
    return { error: 'must be an object' }
  const { reference, resourceType, id } = link as Record<string, unknown>
  let type: unknown
  let target: unknown
  if (reference !== undefined) {
    if (typeof reference !== 'string' || !reference.includes('/')) {
      return { error: 'reference must look like "Client/<id>"' }
    }
    ;[type, target] = [
      reference.slice(0, reference.indexOf('/')),
      reference.slice(reference.indexOf('/') + 1),
    ]
  } else {
    ;[type, target] = [resourceType, id]
  }
  if (typeof type !== 'string' || !(LINK_TYPES as readonly string[]).includes(type)) {
    return { error: `must link to one of ${LINK_TYPES.join(', ')}` }
  }
  if (typeof target !== 'string' || !isId(target)) return { error: 'has an invalid id' }
  return { target: `${type}/${target}` }
}

// The searches a write entry of a transaction makes (R4 http.html#trules): the criteria of a
// conditional create, update, patch or delete, and every conditional reference in its resource
// (`"reference": "Observation?subject=..."`). Each is authorised as a search of the types it reads
// (rest/search-access.ts) before the transaction matches anything, so a refusal is a 403 for the
// whole transaction whatever the data.

import { checkType } from '../resource-input.ts'
import { authorizeCriteria, criteria, ifNoneExistCriteria } from '../rest/conditional.ts'
import type { FhirCall } from '../call.ts'
import type { Entry } from './entries.ts'
import { conditionalReferences } from './references.ts'

/** The searches an entry makes: its conditional criteria and its conditional references. */
export async function authorizeEntrySearches(call: FhirCall, entry: Entry): Promise<void> {
  const type = entry.params.type!
  const access = call.authorizeSearch
  switch (entry.interaction.name) {
    case 'create':
      if (entry.ifNoneExist !== undefined) {
        await authorizeCriteria(type, ifNoneExistCriteria(type, entry.ifNoneExist), access)
      }
      break
    case 'conditional-update':
    case 'conditional-patch':
    case 'conditional-delete':
      await authorizeCriteria(type, criteria(type, entry.query), access)
  }
  for (const reference of entryReferences(entry)) {
    const { type: searched, query } = conditionalReference(reference)
    await authorizeCriteria(searched, query, access)
  }
}

/** The conditional references in an entry's resource (a POST or PUT), each `Type?criteria`. */
export function entryReferences(entry: Entry): Set<string> {
  const writes = entry.method === 'POST' || entry.method === 'PUT'
  return writes ? conditionalReferences(entry.resource) : new Set()
}

/** `Type?criteria` of a conditional reference (http.html#trules). */
export function conditionalReference(reference: string): { type: string; query: URLSearchParams } {
  const q = reference.indexOf('?')
  const type = reference.slice(0, q)
  checkType(type)
  return { type, query: criteria(type, new URLSearchParams(reference.slice(q + 1))) }
}

// Batch Bundles (R4 http.html#transaction, batch rules): every entry on its own, in Bundle order, each
// authorised and answered separately by the handler of its interaction; a failing entry gets its own
// status and OperationOutcome and does not affect the others. The current rows of entries that write
// a named resource are read in one query up front (each used once; a later entry reads again).

import type { FhirCall } from '../call.ts'
import type { ReturnPreference } from '../rest/prefer.ts'
import { failedEntry, type ResponseEntry } from '../rest/result.ts'
import { readResources, resourceKey, type StoredRow } from '../storage/resources.ts'
import type { ParsedEntry } from './entries.ts'
import { authorizeEntry, entryCall, entryResponse, isRead } from './entry-call.ts'
import { BundleBudget } from './bundle-budget.ts'

/** Interactions that write one named resource: their current rows are read ahead. */
const INSTANCE_WRITES = new Set(['update', 'patch', 'delete'])

export async function runBatch(
  call: FhirCall,
  parsed: ParsedEntry[],
  prefer: ReturnPreference
): Promise<ResponseEntry[]> {
  const named = parsed.flatMap((e) =>
    'error' in e || !INSTANCE_WRITES.has(e.interaction.name)
      ? []
      : [{ type: e.params.type!, id: e.params.id! }]
  )
  const known = new Prefetched(await readResources(call.db, named))
  const current = (type: string, id: string) => known.take(type, id)
  const budget = new BundleBudget()
  const response: ResponseEntry[] = []
  for (const entry of parsed) {
    try {
      if ('error' in entry) throw entry.error
      await authorizeEntry(call, entry)
      const read = isRead(entry)
      budget.count(entry)
      if (read) budget.admit()
      const result = await entry.interaction.handler(entryCall(call, entry, current))
      const answer = entryResponse(call, entry, result, prefer)
      response.push(read ? budget.charge(answer) : budget.chargeWrite(answer))
    } catch (err) {
      response.push(failedEntry(err, entry.index, call.log))
    }
  }
  return response
}

/** Rows read up front; each is used once (a later entry on the same resource reads it again). */
class Prefetched {
  private readonly used = new Set<string>()
  private readonly rows: Map<string, StoredRow>
  constructor(rows: Map<string, StoredRow>) {
    this.rows = rows
  }
  take(type: string, id: string): StoredRow | null | undefined {
    const key = resourceKey(type, id)
    if (this.used.has(key)) return undefined
    this.used.add(key)
    return this.rows.get(key) ?? null
  }
}

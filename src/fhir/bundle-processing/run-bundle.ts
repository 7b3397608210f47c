// The batch/transaction interaction (R4 http.html#transaction): POST [base] with a Bundle. Its entries
// are matched against the interaction table and each is authorised as its own request; a batch runs
// them one by one, a transaction all or nothing. The answer is a batch-response or
// transaction-response Bundle, its entries in the order of the request's.

import { document, type FhirCall, type FhirResult, type InteractionMatcher } from '../call.ts'
import { preferReturn } from '../rest/prefer.ts'
import { responseBundle } from '../rest/result.ts'
import { runBatch } from './batch.ts'
import { parseBundle } from './entries.ts'
import { runTransaction } from './transaction.ts'

export async function runBundle(call: FhirCall, match: InteractionMatcher): Promise<FhirResult> {
  if (!call.authorize) throw new Error('a Bundle is run without a way to authorise its entries')
  const bundle = parseBundle((await call.body()) as Record<string, unknown>, call.base, match)
  const run = bundle.type === 'transaction' ? runTransaction : runBatch
  const entries = await run(call, bundle.entries, preferReturn(call.header('prefer')))
  return document(responseBundle(`${bundle.type}-response`, entries))
}

// Who a request acts for, as authentication establishes it: nobody (anonymous), the root client
// (Worker secrets), or a Client stored in KV. Policies, handlers and logs read this one type.

import type { StoredClient } from './store.ts'

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'root'; id: string }
  | { kind: 'client'; id: string; client: StoredClient }

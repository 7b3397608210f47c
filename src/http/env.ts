// The one Hono generic every router uses: generated bindings (`Env`, from `wrangler types`) and the
// per-request variables: the request's log, the principal authentication sets, and the body a route
// declares.

import type { Principal } from '../config/principal.ts'
import type { Log } from '../lib/log.ts'
import type { DeclaredBody } from './body.ts'

export interface AppEnv {
  Bindings: Env
  Variables: {
    /** This request's log (its lines carry the request id); set first, for every request. */
    log: Log
    principal: Principal
    /** Set only on routes that take a body (see body.ts). */
    body?: DeclaredBody
  }
}

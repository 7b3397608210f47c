// The one Hono generic every router uses: generated bindings (`Env`, from `wrangler types`) and the
// per-request variables set by the authentication middleware.

import type { Principal } from '../config/principal.ts'

export interface AppEnv {
  Bindings: Env
  Variables: {
    principal: Principal
  }
}

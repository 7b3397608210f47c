// Aidbox's policy debugging endpoints (POST /$matcho, POST /auth/test-policy), for authorised admins.
// (Mounted at / by app.ts; routes are added with the AccessPolicy engines issue.)

import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'

export const policyDebugRoutes = new Hono<AppEnv>()

// Aidbox-compatible admin API for Clients, Users (user-routes.ts) and AccessPolicies stored in KV, as
// a route table: PUT (201 created / 200 replaced), GET and DELETE on /Client/:id, /User/:id and
// /AccessPolicy/:id.
// Operation ids follow Aidbox's non-FHIR routes (Read, Update, Delete); callers need a policy for them.
// Policies see `params.resource/type` ("Client", "User" or "AccessPolicy") and `params.resource/id`, as for
// Aidbox's own resource routes.

import type { Context } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { jsonBodyOf } from '../http/declared-body.ts'
import { notFound } from '../errors/outcome.ts'
import { fhirJson } from '../http/media.ts'
import {
  deleteClient,
  deletePolicy,
  getClient,
  getPolicy,
  putClient,
  putPolicy,
  type StoredClient,
} from '../config/store.ts'
import { codeSettings } from '../config/client-oauth.ts'
import { revokeClientTokens } from '../auth/token-store.ts'
import type { RouteSpec } from '../policy/route-table.ts'
import { prepareClient, publicClient } from './clients.ts'
import { preparePolicy } from './access-policies.ts'
import { checkId } from './validate.ts'
import { userRoutes } from './user-routes.ts'
import { launchRoutes } from './launch-routes.ts'

const CLIENT = { type: 'Client' }
const POLICY = { type: 'AccessPolicy' }

function idParam(c: Context<AppEnv>): string {
  const id = c.req.param('id')!
  checkId(id)
  return id
}

/** Whether a Client's new version registers the same redirect URIs as its stored one. */
function sameRedirects(before: StoredClient | null, after: StoredClient): boolean {
  const uris = (client: StoredClient) => [...codeSettings(client).redirectUris].sort().join(' ')
  return before !== null && uris(before) === uris(after)
}

export const adminRoutes: readonly RouteSpec[] = [
  {
    method: 'GET',
    path: '/Client/:id',
    operation: 'Read',
    fixedParams: CLIENT,
    handler: async (c) => {
      const id = idParam(c)
      const client = await getClient(c.env, id, { fresh: true, log: c.get('log') })
      if (!client) throw notFound(`Resource Client/${id} not found`)
      return fhirJson(c, publicClient(client))
    },
  },
  {
    method: 'PUT',
    path: '/Client/:id',
    operation: 'Update',
    fixedParams: CLIENT,
    body: 'json',
    handler: async (c) => {
      const id = idParam(c)
      const body = await jsonBodyOf(c)
      const existing = await getClient(c.env, id, { fresh: true, log: c.get('log') })
      const client = await prepareClient(id, body, existing)
      // A Client that may no longer hold tokens of a grant loses the ones it has, at once
      // (docs/oauth.md); of the authorization code grant, also when its redirect URIs change.
      const now = Math.floor(Date.now() / 1000)
      const grants = client.active === false ? [] : (client.grant_types ?? [])
      const keepsCredentials = grants.includes('client_credentials')
      const keepsCodes = grants.includes('authorization_code') && sameRedirects(existing, client)
      if (!keepsCredentials || !keepsCodes) {
        const kind = keepsCodes
          ? 'client_credentials'
          : keepsCredentials
            ? 'authorization_code'
            : 'all'
        await revokeClientTokens(c.env.DB, id, now, kind)
      }
      await putClient(c.env, client)
      return fhirJson(c, publicClient(client), existing ? 200 : 201)
    },
  },
  {
    method: 'DELETE',
    path: '/Client/:id',
    operation: 'Delete',
    fixedParams: CLIENT,
    handler: async (c) => {
      const id = idParam(c)
      const existing = await getClient(c.env, id, { fresh: true, log: c.get('log') })
      if (!existing) return c.body(null, 204)
      // Its tokens first: once the id is free, a new Client may take it (docs/oauth.md).
      await revokeClientTokens(c.env.DB, id, Math.floor(Date.now() / 1000))
      await deleteClient(c.env, id)
      return fhirJson(c, publicClient(existing))
    },
  },
  {
    method: 'GET',
    path: '/AccessPolicy/:id',
    operation: 'Read',
    fixedParams: POLICY,
    handler: async (c) => {
      const id = idParam(c)
      const policy = await getPolicy(c.env, id, c.get('log'))
      if (!policy) throw notFound(`Resource AccessPolicy/${id} not found`)
      return fhirJson(c, policy)
    },
  },
  {
    method: 'PUT',
    path: '/AccessPolicy/:id',
    operation: 'Update',
    fixedParams: POLICY,
    body: 'json',
    handler: async (c) => {
      const id = idParam(c)
      const policy = preparePolicy(id, await jsonBodyOf(c), c.get('log'))
      const existing = await getPolicy(c.env, id, c.get('log'))
      await putPolicy(c.env, policy)
      return fhirJson(c, policy, existing ? 200 : 201)
    },
  },
  {
    method: 'DELETE',
    path: '/AccessPolicy/:id',
    operation: 'Delete',
    fixedParams: POLICY,
    handler: async (c) => {
      const id = idParam(c)
      const existing = await getPolicy(c.env, id, c.get('log'))
      if (!existing) return c.body(null, 204)
      await deletePolicy(c.env, id)
      return fhirJson(c, existing)
    },
  },
  ...userRoutes,
  ...launchRoutes,
]

// Aidbox-compatible admin API for Clients and AccessPolicies stored in KV:
// PUT (201 created / 200 replaced), GET and DELETE on /Client/:id and /AccessPolicy/:id.
// Operation ids follow Aidbox's non-FHIR routes (Read, Update, Delete); callers need a policy for them.
// Policies see `params.resource/type` ("Client" or "AccessPolicy") and `params.resource/id`, as for
// Aidbox's own resource routes.

import { Hono } from 'hono'
import type { AppEnv } from '../http/env.ts'
import { guard } from '../policy/authorize.ts'
import { readJsonObject } from '../http/body.ts'
import { notFound } from '../errors/outcome.ts'
import { fhirJson } from '../http/media.ts'
import {
  deleteClient,
  deletePolicy,
  getClient,
  getPolicy,
  putClient,
  putPolicy,
} from '../config/store.ts'
import { prepareClient, publicClient } from './clients.ts'
import { preparePolicy } from './access-policies.ts'
import { checkId } from './validate.ts'

export const adminRoutes = new Hono<AppEnv>()

const CLIENT = { resourceType: 'Client' }
const POLICY = { resourceType: 'AccessPolicy' }

adminRoutes.get('/Client/:id', guard('Read', CLIENT), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const client = await getClient(c.env, id, { fresh: true })
  if (!client) throw notFound(`Resource Client/${id} not found`)
  return fhirJson(c, publicClient(client))
})

adminRoutes.put('/Client/:id', guard('Update', CLIENT), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const body = await readJsonObject(c)
  const existing = await getClient(c.env, id, { fresh: true })
  const client = await prepareClient(id, body, existing)
  await putClient(c.env, client)
  return fhirJson(c, publicClient(client), existing ? 200 : 201)
})

adminRoutes.delete('/Client/:id', guard('Delete', CLIENT), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const existing = await getClient(c.env, id, { fresh: true })
  if (!existing) return c.body(null, 204)
  await deleteClient(c.env, id)
  return fhirJson(c, publicClient(existing))
})

adminRoutes.get('/AccessPolicy/:id', guard('Read', POLICY), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const policy = await getPolicy(c.env, id)
  if (!policy) throw notFound(`Resource AccessPolicy/${id} not found`)
  return fhirJson(c, policy)
})

adminRoutes.put('/AccessPolicy/:id', guard('Update', POLICY), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const policy = preparePolicy(id, await readJsonObject(c))
  const existing = await getPolicy(c.env, id)
  await putPolicy(c.env, policy)
  return fhirJson(c, policy, existing ? 200 : 201)
})

adminRoutes.delete('/AccessPolicy/:id', guard('Delete', POLICY), async (c) => {
  const id = c.req.param('id')
  checkId(id)
  const existing = await getPolicy(c.env, id)
  if (!existing) return c.body(null, 204)
  await deletePolicy(c.env, id)
  return fhirJson(c, existing)
})

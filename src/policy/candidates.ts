// Candidate selection (docs/aidbox.md#candidates) over an index built once per policy-list snapshot: global
// policies (no link) and, per link target ("Client/x", "User/u", "Operation/FhirRead"), the
// policies linked to it. Selecting is a few map look-ups and a merge of short lists, whatever the
// number of policies. Each policy is compiled once per stored object (the store keeps an object
// while its KV text is unchanged), and candidates come in a fixed order: `allow` first, then
// engines that need no database, then `sql`, each group by id. Policies are side-effect free and
// OR-ed, so the order changes no answer, only how soon one is found.

import type { StoredPolicy } from '../config/store.ts'
import { compilePolicy, type CompiledPolicy } from './engines/index.ts'
import type { Log } from '../lib/log.ts'
import { linkTarget } from './links.ts'

export interface Candidate {
  readonly id: string
  readonly compiled: CompiledPolicy
  /** Position in evaluation order (lower first). */
  readonly rank: number
}

interface PolicyIndex {
  readonly global: readonly Candidate[]
  readonly byTarget: ReadonlyMap<string, readonly Candidate[]>
}

const EMPTY: readonly Candidate[] = []
const indexes = new WeakMap<readonly StoredPolicy[], PolicyIndex>()
const compiledPolicies = new WeakMap<StoredPolicy, CompiledPolicy | null>()
const warned = new WeakSet<StoredPolicy>()

/**
 * The policies that apply to a request whose caller and operation are named by `targets`
 * ("Operation/FhirRead", "Client/x", …), in evaluation order, without duplicates.
 */
export function selectCandidates(
  policies: readonly StoredPolicy[],
  targets: readonly string[],
  log: Log
): readonly Candidate[] {
  const index = indexFor(policies, log)
  let only: readonly Candidate[] | undefined
  let lists: (readonly Candidate[])[] | undefined
  for (const list of [index.global, ...targets.map((t) => index.byTarget.get(t) ?? EMPTY)]) {
    if (list.length === 0) continue
    if (!only) only = list
    else (lists ??= [only]).push(list)
  }
  if (!lists) return only ?? EMPTY
  // A policy linked to several of the targets (or global and linked) appears once.
  const merged = [...new Set(lists.flat())]
  return merged.sort((a, b) => a.rank - b.rank)
}

function indexFor(policies: readonly StoredPolicy[], log: Log): PolicyIndex {
  let index = indexes.get(policies)
  if (!index) {
    index = buildIndex(policies, log)
    indexes.set(policies, index)
  }
  return index
}

function buildIndex(policies: readonly StoredPolicy[], log: Log): PolicyIndex {
  const usable: { policy: StoredPolicy; compiled: CompiledPolicy }[] = []
  for (const policy of policies) {
    if (policy.roleName !== undefined) {
      // Roles are Role resources (docs/users.md), which this server does not have: no caller holds
      // the role (fail closed).
      warnOnce(log, policy, 'AccessPolicy has roleName; no caller holds roles, so it never applies')
      continue
    }
    const compiled = compiledPolicy(policy, log)
    if (compiled) usable.push({ policy, compiled })
  }
  usable.sort(
    (a, b) =>
      engineClass(a.compiled) - engineClass(b.compiled) ||
      (a.policy.id < b.policy.id ? -1 : a.policy.id > b.policy.id ? 1 : 0)
  )
  const global: Candidate[] = []
  const byTarget = new Map<string, Candidate[]>()
  usable.forEach(({ policy, compiled }, rank) => {
    const candidate: Candidate = { id: policy.id, compiled, rank }
    const link = policy.link as unknown
    if (link === undefined || link === null || (Array.isArray(link) && link.length === 0)) {
      global.push(candidate)
      return
    }
    if (!Array.isArray(link)) {
      warnOnce(log, policy, 'AccessPolicy link is not an array; the policy never applies')
      return
    }
    const targets = link.map(linkTarget).flatMap((r) => ('target' in r ? [r.target] : []))
    for (const target of new Set(targets)) {
      const list = byTarget.get(target)
      if (list) list.push(candidate)
      else byTarget.set(target, [candidate])
    }
  })
  return { global, byTarget }
}

/** 0 for allow, 1 for engines evaluated without the database, 2 for those that run sql. */
function engineClass(compiled: CompiledPolicy): number {
  if (compiled.engine === 'allow') return 0
  return compiled.sync ? 1 : 2
}

/** The compiled form of a stored policy, or null (logged once) when it does not compile. */
function compiledPolicy(policy: StoredPolicy, log: Log): CompiledPolicy | null {
  let compiled = compiledPolicies.get(policy)
  if (compiled !== undefined) return compiled
  try {
    compiled = compilePolicy(policy)
  } catch (err) {
    warnOnce(log, policy, 'AccessPolicy does not compile; it never allows', String(err))
    compiled = null
  }
  compiledPolicies.set(policy, compiled)
  return compiled
}

function warnOnce(log: Log, policy: StoredPolicy, msg: string, error?: string): void {
  if (warned.has(policy)) return
  warned.add(policy)
  log.warn(msg, { policy: policy.id, ...(error ? { error } : {}) })
}

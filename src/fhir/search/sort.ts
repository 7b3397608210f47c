// Sorted pages (R4 search.html#_sort). A resource's key for a parameter is its lowest value when
// ascending and its highest when descending; resources without a value come last. Two shapes: S1
// computes the keys of a bounded candidate set with by-resource seeks and sorts it; S2 walks the key's
// own index in order (one key, one type) and stops after a page. Both give the same order
// (keys, then pk), so a cursor made by one continues in the other. Where each parameter type's keys
// are read (table, key columns, walk indexes) is the catalogue's SORT_KEYS (index/tables.ts).

import { spIs, type Cond } from './filter-sql.ts'
import {
  columns,
  guardCtes,
  guarded,
  limitWhen,
  probes,
  typeIs,
  typeWalk,
  type Compiled,
  type Segment,
} from './query-parts.ts'
import type { Cursor, SearchRequest, SortKey } from './request.ts'
import { RESOURCE_INDEXES, SORT_KEYS, type SortKeyIndex } from '../index/tables.ts'

/** Where the keys of a (parameter) sort key are read. */
const keyIndex = (key: SortKey): SortKeyIndex => SORT_KEYS[key.defs[0]!.type]!

/** The key of `key` for resource row `r` (NULL when it has no value). */
function keyExpr(c: Compiled, key: SortKey, r: string): string {
  if (key.column) return `${r}.${key.column}`
  const ix = keyIndex(key)
  const w = c.ctx.a.next('w')
  const col = key.desc ? ix.desc : ix.asc
  return (
    `(SELECT ${key.desc ? 'max' : 'min'}(${w}.${col}) FROM ${ix.table.name} ${w} INDEXED BY ${ix.table.byPk} ` +
    `WHERE ${w}.pk = ${r}.pk AND ${spIs(
      c.ctx,
      w,
      key.defs.map((d) => d.sp)
    )})`
  )
}

/**
 * Rows strictly after (or, for a `before` cursor, before) the cursor in the order
 * n0, k0 (asc/desc), n1, k1, ..., pk: `n` is 1 for a missing key, which sorts last.
 */
function keyset(
  c: Compiled,
  keys: readonly SortKey[],
  cursor: Cursor,
  cols: { k: string; n: string }[],
  pk: string
): string {
  const b = c.ctx.b
  const at = (i: number): string => {
    if (i === keys.length) return `${pk} ${cursor.before ? '<' : '>'} ${b.bind(cursor.pk)}`
    const { k, n } = cols[i]!
    const value = cursor.keys[i]
    const rest = at(i + 1)
    const later = keys[i]!.desc ? '<' : '>'
    const earlier = keys[i]!.desc ? '>' : '<'
    if (!cursor.before) {
      if (value === null) return `(${n} = 1 AND ${rest})`
      const v = b.bind(value!)
      return `(${n} = 1 OR ${k} ${later} ${v} OR (${k} = ${v} AND ${rest}))`
    }
    if (value === null) return `(${n} = 0 OR (${n} = 1 AND ${rest}))`
    const v = b.bind(value!)
    return `(${n} = 0 AND (${k} ${earlier} ${v} OR (${k} = ${v} AND ${rest})))`
  }
  return at(0)
}

function orderBy(keys: readonly SortKey[], before: boolean): string {
  const flip = (desc: boolean) => (desc !== before ? 'DESC' : 'ASC')
  const parts = keys.flatMap((k, i) => [`n${i} ${flip(false)}`, `k${i} ${flip(k.desc)}`])
  return [...parts, `pk ${flip(false)}`].join(', ')
}

/** S2 is possible: one key, one type, and the key's index can be walked in order. */
function walkableKey(request: SearchRequest): SortKey | undefined {
  if (request.sort.length !== 1 || request.types.length !== 1) return undefined
  const key = request.sort[0]!
  if (key.column) return key
  return keyIndex(key).walkable ? key : undefined
}

export function sortSegmented(request: SearchRequest, c: Compiled): boolean {
  const key = walkableKey(request)
  const best = c.drivers[0]
  return !!key && !key.column && !(best && best.rank <= 1)
}

/** S1: the candidates (a filter's set, or every resource of the types), keyed and sorted. */
function s1(
  c: Compiled,
  request: SearchRequest,
  cursor: Cursor | undefined,
  limit: string,
  driver: Cond | undefined,
  segment?: Segment
): string {
  const keys = request.sort
  const source = driver
    ? `resource r WHERE r.pk IN (${driver.set}) AND`
    : `${typeWalk(c, 'r')} WHERE`
  // Each candidate's keys are computed once (materialised), the page is sorted on keys and pk
  // alone, and only the page's rows are read whole.
  const cand = c.ctx.a.next('cand')
  const inner =
    `SELECT r.pk AS pk, ${keys.map((k, i) => `${keyExpr(c, k, 'r')} AS k${i}`).join(', ')} ` +
    `FROM ${source} r.deleted = 0 AND ${typeIs(c, 'r')}${probes(c, 'r', driver)}`
  const where: string[] = []
  if (segment) where.push(segment === 'values' ? 'n0 = 0' : 'n0 = 1')
  if (cursor)
    where.push(
      keyset(
        c,
        keys,
        cursor,
        keys.map((_, i) => ({ k: `k${i}`, n: `n${i}` })),
        'pk'
      )
    )
  const filter = where.length ? ` WHERE ${where.join(' AND ')}` : ''
  const order = orderBy(keys, !!cursor?.before)
  const keyed = keys.map((_, i) => `k${i}, k${i} IS NULL AS n${i}`).join(', ')
  const page = `SELECT * FROM (SELECT pk, ${keyed} FROM ${cand})${filter} ORDER BY ${order} LIMIT ${limit}`
  return (
    `WITH ${cand} AS MATERIALIZED (${inner}) ` +
    `SELECT ${columns('r')}, ${keys.map((_, i) => `s.k${i} AS k${i}, s.n${i} AS n${i}`).join(', ')} ` +
    `FROM (${page}) s CROSS JOIN resource r ON r.pk = s.pk ORDER BY ${order}`
  )
}

/** S2 for the rows that have a value: walk the key's index in order, each resource at its first row. */
function s2Values(c: Compiled, key: SortKey, cursor: Cursor | undefined, limit: string): string {
  const b = c.ctx.b
  const before = !!cursor?.before
  const descending = key.desc !== before
  const dir = descending ? 'DESC' : 'ASC'
  const pkDir = before ? 'DESC' : 'ASC'
  if (key.column) {
    const k = `r.${key.column}`
    const index =
      key.column === 'last_updated' ? ` INDEXED BY ${RESOURCE_INDEXES.byTypeUpdated}` : ''
    const ks = cursor ? ` AND ${keyset(c, [key], cursor, [{ k, n: '0' }], 'r.pk')}` : ''
    return (
      `SELECT ${columns('r')}, ${k} AS k0, 0 AS n0 FROM resource r${index} ` +
      `WHERE ${typeIs(c, 'r')} AND r.deleted = 0${ks}${probes(c, 'r')} ` +
      `ORDER BY ${k} ${dir}, r.pk ${pkDir} LIMIT ${limit}`
    )
  }
  const ix = keyIndex(key)
  const col = key.desc ? ix.desc : ix.asc
  const index = key.desc ? ix.walkDesc : ix.walkAsc
  const tie = key.desc ? ix.tieDesc : ix.tieAsc
  const sps = key.defs.map((d) => d.sp)
  const k = `d.${col}`
  let bound = ''
  if (cursor && cursor.keys[0] !== null) {
    // Seek to the cursor's key: rows on the far side of it are never read.
    bound = ` AND ${k} ${key.desc !== before ? '<=' : '>='} ${b.bind(cursor.keys[0]!)}`
  }
  const ks = cursor ? ` AND ${keyset(c, [key], cursor, [{ k, n: '0' }], 'r.pk')}` : ''
  const row = (alias: string) => `(${tie.map((t) => `${alias}.${t}`).join(', ')})`
  const first = `${row('w')} ${key.desc ? '>' : '<'} ${row('d')}`
  return (
    `SELECT ${columns('r')}, ${k} AS k0, 0 AS n0 FROM ${ix.table.name} d${index ? ` INDEXED BY ${index}` : ''} ` +
    `CROSS JOIN resource r ON r.pk = d.pk WHERE ${spIs(c.ctx, 'd', sps)}${bound}${ks} ` +
    `AND NOT EXISTS (SELECT 1 FROM ${ix.table.name} w INDEXED BY ${ix.table.byPk} ` +
    `WHERE w.pk = d.pk AND w.sp = d.sp AND ${first}) ` +
    `AND r.deleted = 0 AND ${typeIs(c, 'r')}${probes(c, 'r')} ` +
    `ORDER BY ${k} ${dir}, r.pk ${pkDir} LIMIT ${limit}`
  )
}

/** S2 for the rows without a value: the type's rows in pk order that have no row for the key. */
function s2Missing(c: Compiled, key: SortKey, cursor: Cursor | undefined, limit: string): string {
  const b = c.ctx.b
  const ix = keyIndex(key)
  const sps = key.defs.map((d) => d.sp)
  const pkDir = cursor?.before ? 'DESC' : 'ASC'
  const inSegment = cursor && cursor.keys[0] === null
  const ks = inSegment ? ` AND r.pk ${cursor.before ? '<' : '>'} ${b.bind(cursor.pk)}` : ''
  return (
    `SELECT ${columns('r')}, NULL AS k0, 1 AS n0 FROM ${typeWalk(c, 'r')} ` +
    `WHERE ${typeIs(c, 'r')} AND r.deleted = 0${ks} ` +
    `AND NOT EXISTS (SELECT 1 FROM ${ix.table.name} w INDEXED BY ${ix.table.byPk} ` +
    `WHERE w.pk = r.pk AND ${spIs(c.ctx, 'w', sps)})${probes(c, 'r')} ORDER BY r.pk ${pkDir} LIMIT ${limit}`
  )
}

export function sortedPage(
  c: Compiled,
  request: SearchRequest,
  cursor: Cursor | undefined,
  limit: number,
  segment: Segment
): string {
  const b = c.ctx.b
  const key = walkableKey(request)
  const best = c.drivers[0]
  if (!key || (best && best.rank <= 1)) return s1(c, request, cursor, b.bind(limit), best)
  const s2 = (lim: string) =>
    segment === 'missing' && !key.column
      ? s2Missing(c, key, cursor, lim)
      : s2Values(c, key, cursor, lim)
  if (!best) return s2(b.bind(limit))
  const small = `(SELECT n FROM g1) <= ${c.threshold}`
  const large = `(SELECT n FROM g1) > ${c.threshold}`
  const seg = key.column ? undefined : segment
  return guarded(
    guardCtes(c, 'g1', best.guard ?? best.set!),
    [s1(c, request, cursor, limitWhen(c, small, limit), best, seg), s2(limitWhen(c, large, limit))],
    orderBy(request.sort, !!cursor?.before)
  )
}

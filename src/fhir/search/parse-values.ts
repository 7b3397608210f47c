// Parsing of search values by parameter type (R4 search.html#prefix, #date, #number, #quantity,
// #token, #reference, #escaping). Each parser takes one comma-separated part (still escaped) and
// throws a 400 naming the parameter when the value is malformed.

import { badRequest } from '../../errors/outcome.ts'
import { dateRange } from '../index/dates.ts'
import { decimalRange } from '../index/decimal.ts'
import { splitEscaped, unescapeValue } from './escape.ts'
import { ID, isId } from '../../lib/ids.ts'
import type { Prefix, QuantityTest, RangeTest, TokenValue } from './request.ts'

const PREFIXES = new Set<string>(['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'])

export function malformed(key: string, message: string) {
  return badRequest(`Invalid value for search parameter ${key}: ${message}`, [key])
}

/** Splits a leading prefix off a date or number value; `eq` when there is none. */
function splitPrefix(key: string, value: string): [Prefix, string] {
  const m = /^([a-z]{2})(.*)$/.exec(value)
  if (!m) return ['eq', value]
  if (!PREFIXES.has(m[1]!))
    throw malformed(key, `unknown prefix "${m[1]}" (use eq ne gt lt ge le sa eb ap)`)
  return [m[1] as Prefix, m[2]!]
}

/**
 * A date search value as its range (search.html#date): `2014` is the whole year; a dateTime without a
 * zone is UTC. For `ap` the range widens by 10% of the distance from now (at least its precision).
 */
export function parseDateTest(key: string, part: string, now: number): RangeTest {
  const [prefix, text] = splitPrefix(key, unescapeValue(part))
  const range = dateRange(text)
  if (!range || !/^\d{4}/.test(text)) {
    throw malformed(key, `"${text}" is not a FHIR date, dateTime or instant`)
  }
  let [lo, hi] = range
  if (prefix === 'ap') {
    const delta = Math.round(Math.abs(now - (lo + hi) / 2) * 0.1)
    lo -= delta
    hi += delta
  }
  return { prefix, q: lo, lo, hi }
}

/** A number search value (search.html#number): `100` stands for [99.5, 100.5), `1e2` for [95, 105). */
export function parseNumberTest(key: string, text: string): RangeTest {
  const [prefix, number] = splitPrefix(key, text)
  const r = decimalRange(number)
  if (!r) throw malformed(key, `"${number}" is not a number`)
  if (![r.v, r.lo, r.hi].every(Number.isFinite)) {
    throw malformed(key, `"${number}" is out of range (a finite double)`)
  }
  if (prefix === 'ap') {
    const delta = Math.abs(r.v) * 0.1
    return { prefix, q: r.v, lo: r.v - delta, hi: r.v + delta }
  }
  return { prefix, q: r.v, lo: r.lo, hi: r.hi }
}

/** `[prefix]number`, `number|system|code` or `number||code` (search.html#quantity). */
export function parseQuantityTest(key: string, part: string): QuantityTest {
  const pieces = splitEscaped(part, '|')
  if (pieces.length !== 1 && pieces.length !== 3) {
    throw malformed(key, `"${part}" is not number, number|system|code or number||code`)
  }
  const test: QuantityTest = parseNumberTest(key, unescapeValue(pieces[0]!))
  if (pieces.length === 3) {
    const system = unescapeValue(pieces[1]!)
    const code = unescapeValue(pieces[2]!)
    if (system) test.system = system
    if (code) test.code = code
    if (system && !code) throw malformed(key, 'a quantity with a system needs a code')
  }
  return test
}

/** Token forms (search.html#token): `code`, `system|code`, `|code`, `system|`. */
export function parseToken(key: string, part: string): TokenValue {
  const pieces = splitEscaped(part, '|')
  if (pieces.length > 2) throw malformed(key, `"${part}" has more than one unescaped "|"`)
  if (pieces.length === 1) {
    const code = unescapeValue(pieces[0]!)
    if (!code) throw malformed(key, 'the value is empty')
    return { code }
  }
  const system = unescapeValue(pieces[0]!)
  const code = unescapeValue(pieces[1]!)
  if (!system && !code) throw malformed(key, '"|" names neither a system nor a code')
  return code ? { system, code } : { system }
}

/** `:of-type` (search.html#token): `type-system|type-code|value`, all three present. */
export function parseOfType(key: string, part: string): TokenValue {
  const pieces = splitEscaped(part, '|').map(unescapeValue)
  if (pieces.length !== 3 || !pieces[1] || !pieces[2]) {
    throw malformed(key, `"${part}" is not type-system|type-code|value`)
  }
  return { system: `${pieces[0]}|${pieces[1]}`, code: pieces[2] }
}

const LOCAL = new RegExp(`^([A-Z][A-Za-z]+)/(${ID})(?:/_history/${ID})?$`)

/**
 * The stored targets a reference value stands for (search.html#reference): `Type/id` (a version is
 * ignored), a bare id (every allowed target type, or the `:Type` modifier's), an absolute URL (local
 * when it starts with this server's base), a canonical `url|version` or any other URL as given.
 */
export function referenceTargets(
  key: string,
  part: string,
  targets: readonly string[],
  typeModifier: string | undefined,
  base: string | undefined
): string[] {
  let value = unescapeValue(part)
  if (!value) throw malformed(key, 'the value is empty')
  const own = base ? `${base}/fhir/` : undefined
  if (own && value.startsWith(own)) value = value.slice(own.length)
  const local = LOCAL.exec(value)
  if (local) {
    if (typeModifier && local[1] !== typeModifier) {
      throw malformed(key, `${local[1]}/${local[2]} is not a ${typeModifier}`)
    }
    return [`${local[1]}/${local[2]}`]
  }
  if (isId(value)) {
    const types = typeModifier ? [typeModifier] : targets
    if (!types.length) {
      throw malformed(
        key,
        `"${value}" is a bare id, but the parameter can refer to any type: use Type/${value}`
      )
    }
    return types.map((t) => `${t}/${value}`)
  }
  if (typeModifier) throw malformed(key, `"${value}" is not an id or ${typeModifier}/id`)
  return [value]
}

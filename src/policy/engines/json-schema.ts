// The json-schema engine (docs/aidbox.md#engines): the request object must validate against a
// draft-07 schema. The schema is checked against the draft-07 meta-schema and compiled once, at
// save time.
import { Validator, dereference } from '@cfworker/json-schema'
import type { OutputUnit, Schema } from '@cfworker/json-schema'
import { DRAFT_07_META_SCHEMA } from './draft-07.ts'
import { fail, throwIfIssues } from './errors.ts'
import type { IssueList } from './errors.ts'
import { isObject } from './path.ts'
import { MAX_REGEX_INPUT, nestedRepetition, RegexInputTooLong } from './regex.ts'

/** A compiled json-schema rule. */
export interface CompiledJsonSchema {
  readonly engine: 'json-schema'
  readonly validator: Validator
  /** The schema has `pattern` or `patternProperties`: regexes that run on request data. */
  readonly hasPatterns: boolean
}

/** How many meta-schema errors to report for one schema. */
const MAX_REPORTED = 5
const DRAFT_07_URI = /^https?:\/\/json-schema\.org\/draft-07\/schema#?$/

let metaValidator: Validator | undefined

/** Compiles `schema`; throws PolicyValidationError when it is not a valid draft-07 schema. */
export function compileJsonSchema(schema: unknown, path = 'schema'): CompiledJsonSchema {
  const issues: IssueList = []
  const compiled = compileJsonSchemaInto(schema, path, issues)
  throwIfIssues(issues)
  return compiled!
}

/** Like `compileJsonSchema`, but appends problems to `issues`. */
export function compileJsonSchemaInto(
  schema: unknown,
  path: string,
  issues: IssueList
): CompiledJsonSchema | undefined {
  if (!isObject(schema)) return fail(issues, path, 'schema must be a JSON Schema object')
  const declared = schema.$schema
  if (declared !== undefined && !(typeof declared === 'string' && DRAFT_07_URI.test(declared))) {
    return fail(issues, `${path}.$schema`, 'only JSON Schema draft-07 is supported')
  }
  metaValidator ??= new Validator(DRAFT_07_META_SCHEMA, '7', false)
  const meta = metaValidator.validate(schema)
  if (!meta.valid) {
    for (const e of leafErrors(meta.errors).slice(0, MAX_REPORTED)) {
      const at = path + e.instanceLocation.slice(1).replaceAll('/', '.')
      fail(issues, at, `invalid JSON Schema: ${e.error}`)
    }
    return undefined
  }
  // The library annotates the schema object it is given; keep the stored policy untouched.
  const copy = structuredClone(schema) as Schema
  let validator: Validator
  let lookup: Record<string, unknown>
  try {
    lookup = dereference(copy)
    validator = new Validator(copy, '7', true)
  } catch (e) {
    return fail(issues, path, `invalid JSON Schema: ${(e as Error).message}`)
  }
  const unresolved = findUnresolvedRef(copy, lookup, 0)
  if (unresolved !== undefined) {
    return fail(issues, path, `invalid JSON Schema: $ref "${unresolved}" cannot be resolved`)
  }
  const patterns: { at: string; source: string }[] = []
  collectPatterns(schema, path, patterns, 0)
  let unsafe = false
  for (const { at, source } of patterns) {
    const offset = nestedRepetition(source)
    if (offset === undefined) continue
    unsafe = true
    fail(
      issues,
      at,
      `the group at offset ${offset} of pattern ${JSON.stringify(source)} repeats and contains a ` +
        'repetition or alternation, which can take exponential time on hostile input (ReDoS)'
    )
  }
  if (unsafe) return undefined
  return { engine: 'json-schema', validator, hasPatterns: patterns.length > 0 }
}

/**
 * Whether `request` validates. Throws only if the request holds non-JSON values (e.g. undefined).
 */
export function evaluateJsonSchema(compiled: CompiledJsonSchema, request: unknown): boolean {
  // Schema patterns run inside the validator, where no length bound can be put on them; a
  // pattern-bearing schema therefore refuses (throws, so denies) a request with any long string.
  if (compiled.hasPatterns) checkStringLengths(request, 0)
  return compiled.validator.validate(request).valid
}

/** Throws RegexInputTooLong when a string (or object key) in `value` is over MAX_REGEX_INPUT. */
function checkStringLengths(value: unknown, depth: number): void {
  if (typeof value === 'string') {
    if (value.length > MAX_REGEX_INPUT) throw new RegexInputTooLong(value.length)
    return
  }
  if (value === null || typeof value !== 'object' || depth > 256) return
  if (Array.isArray(value)) {
    for (const item of value) checkStringLengths(item, depth + 1)
    return
  }
  for (const [key, item] of Object.entries(value)) {
    if (key.length > MAX_REGEX_INPUT) throw new RegexInputTooLong(key.length)
    checkStringLengths(item, depth + 1)
  }
}

/** Every `pattern` and `patternProperties` key of a (meta-validated) schema, with its path. */
function collectPatterns(
  node: unknown,
  path: string,
  out: { at: string; source: string }[],
  depth: number
): void {
  if (node === null || typeof node !== 'object' || depth > 256) return
  if (Array.isArray(node)) {
    node.forEach((item, i) => collectPatterns(item, `${path}[${i}]`, out, depth + 1))
    return
  }
  for (const [key, value] of Object.entries(node)) {
    const at = `${path}.${key}`
    if (key === 'pattern' && typeof value === 'string') out.push({ at, source: value })
    if (key === 'patternProperties' && isObject(value)) {
      for (const source of Object.keys(value)) out.push({ at, source })
    }
    // `const`, `enum`, `default` and `examples` hold data, not schemas.
    if (key === 'const' || key === 'enum' || key === 'default' || key === 'examples') continue
    collectPatterns(value, at, out, depth + 1)
  }
}

/** Keywords whose errors only wrap the errors of their subschemas. */
const WRAPPERS = new Set([
  'properties',
  'additionalProperties',
  'patternProperties',
  'dependencies',
  'propertyNames',
  '$ref',
  'allOf',
  'items',
  'additionalItems',
  'contains',
])

/** The meta-schema errors worth showing: no wrappers, and not the failed branches of an `anyOf`. */
function leafErrors(errors: readonly OutputUnit[]): OutputUnit[] {
  const branches = errors.filter((e) => e.keyword === 'anyOf').map((e) => e.keywordLocation + '/')
  const leaves = errors.filter(
    (e) => !WRAPPERS.has(e.keyword) && !branches.some((b) => e.keywordLocation.startsWith(b))
  )
  return leaves.length > 0 ? leaves : errors.slice(-1)
}

/**
 * The first `$ref` (as written) whose target is not inside the schema; the engine loads nothing.
 */
function findUnresolvedRef(
  node: unknown,
  lookup: Record<string, unknown>,
  depth: number
): string | undefined {
  if (node === null || typeof node !== 'object' || depth > 256) return undefined
  if (Array.isArray(node)) {
    for (const item of node) {
      const found = findUnresolvedRef(item, lookup, depth + 1)
      if (found !== undefined) return found
    }
    return undefined
  }
  const target = (node as { __absolute_ref__?: string }).__absolute_ref__
  if (target !== undefined && lookup[target] === undefined) return String((node as Schema).$ref)
  for (const value of Object.values(node)) {
    const found = findUnresolvedRef(value, lookup, depth + 1)
    if (found !== undefined) return found
  }
  return undefined
}

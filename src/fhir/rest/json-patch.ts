// JSON Patch (RFC 6902) over JSON Pointer (RFC 6901), for the FHIR patch interaction
// (R4 http.html#patch). Strict: a malformed patch document is a 400 before anything is applied; an
// operation that cannot be applied (missing path, bad array index, failed `test`) is a 422, and the
// patch is all-or-nothing because it works on a copy of the resource.

import { badRequest, FhirError, tooLarge } from '../../errors/outcome.ts'

export type PatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; path: string; from: string }

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test'])

/** Checks the shape of a patch document (an array of operation objects). */
export function parsePatch(doc: unknown): PatchOperation[] {
  if (!Array.isArray(doc))
    throw badRequest('A JSON Patch document must be a JSON array of operations')
  return doc.map((op: unknown, i) => {
    const where = `operation ${i}`
    if (!op || typeof op !== 'object' || Array.isArray(op))
      throw badRequest(`JSON Patch ${where} is not an object`)
    const o = op as Record<string, unknown>
    if (typeof o.op !== 'string' || !OPS.has(o.op)) {
      throw badRequest(`JSON Patch ${where}: "op" must be one of ${[...OPS].join(', ')}`)
    }
    if (typeof o.path !== 'string') throw badRequest(`JSON Patch ${where}: "path" must be a string`)
    pointer(o.path, where)
    if (o.op === 'move' || o.op === 'copy') {
      if (typeof o.from !== 'string')
        throw badRequest(`JSON Patch ${where}: "${o.op}" needs a "from" string`)
      pointer(o.from, where)
      return { op: o.op, path: o.path, from: o.from }
    }
    if (o.op === 'remove') return { op: 'remove', path: o.path }
    if (!Object.hasOwn(o, 'value'))
      throw badRequest(`JSON Patch ${where}: "${o.op}" needs a "value"`)
    return { op: o.op as 'add' | 'replace' | 'test', path: o.path, value: o.value }
  })
}

/** RFC 6901 reference tokens of a pointer ("" is the whole document). */
function pointer(path: string, where: string): string[] {
  if (path === '') return []
  if (!path.startsWith('/'))
    throw badRequest(`JSON Patch ${where}: path ${JSON.stringify(path)} must start with "/"`)
  return path
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~[^01]|~$/.test(token))
        throw badRequest(`JSON Patch ${where}: invalid escape in ${JSON.stringify(path)}`)
      const unescaped = token.replace(/~1/g, '/').replace(/~0/g, '~')
      if (unescaped === '__proto__')
        throw badRequest(`JSON Patch ${where}: ${JSON.stringify(path)} is not allowed`)
      return unescaped
    })
}

const unprocessable = (diagnostics: string) =>
  new FhirError(422, { severity: 'error', code: 'processing', diagnostics })

type Container = Record<string, unknown> | unknown[]

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null
}

function arrayIndex(arr: unknown[], token: string, forAdd: boolean, path: string): number {
  if (forAdd && token === '-') return arr.length
  if (!/^(0|[1-9]\d{0,8})$/.test(token))
    throw unprocessable(`${path}: "${token}" is not an array index`)
  const index = Number(token)
  if (index > arr.length || (!forAdd && index === arr.length)) {
    throw unprocessable(`${path}: index ${index} is out of bounds (array length ${arr.length})`)
  }
  return index
}

/** The container holding the last token of `tokens`, and that token. */
function parentOf(root: unknown, tokens: string[], path: string): [Container, string] {
  let node = root
  for (const token of tokens.slice(0, -1)) {
    node = child(node, token, path)
  }
  if (!isContainer(node)) throw unprocessable(`${path}: the parent is not an object or array`)
  return [node, tokens[tokens.length - 1]!]
}

function child(node: unknown, token: string, path: string): unknown {
  if (Array.isArray(node)) return node[arrayIndex(node, token, false, path)]
  if (isContainer(node) && Object.hasOwn(node, token))
    return (node as Record<string, unknown>)[token]
  throw unprocessable(`${path}: no value at this path`)
}

function get(root: unknown, path: string): unknown {
  let node = root
  for (const token of pointer(path, path)) node = child(node, token, path)
  return node
}

function add(root: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path, path)
  if (!tokens.length) return value
  const [parent, token] = parentOf(root, tokens, path)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true, path), 0, value)
  else parent[token] = value
  return root
}

function remove(root: unknown, path: string): unknown {
  const tokens = pointer(path, path)
  if (!tokens.length) throw unprocessable('Removing the whole resource is not a patch')
  const [parent, token] = parentOf(root, tokens, path)
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, false, path), 1)
  else if (Object.hasOwn(parent, token)) delete parent[token]
  else throw unprocessable(`${path}: no value at this path`)
  return root
}

function replace(root: unknown, path: string, value: unknown): unknown {
  const tokens = pointer(path, path)
  if (!tokens.length) return value
  const [parent, token] = parentOf(root, tokens, path)
  if (Array.isArray(parent)) parent[arrayIndex(parent, token, false, path)] = value
  else if (Object.hasOwn(parent, token)) parent[token] = value
  else throw unprocessable(`${path}: no value at this path`)
  return root
}

/** JSON equality (RFC 6902 §4.6): same type, numbers by value, objects regardless of member order. */
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((x, i) => jsonEqual(x, b[i]))
    )
  }
  if (!isContainer(a) || !isContainer(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b, k) &&
        jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    )
  )
}

/**
 * Applies `ops` to a copy of `document`; the input is never changed. `copy` is the one operation
 * that grows a document beyond the patch's own size (each copy can double it): what it copies is
 * counted, and more than `maxCopied` characters is a 413 before it is built.
 */
export function applyPatch(
  document: unknown,
  ops: readonly PatchOperation[],
  maxCopied: number
): unknown {
  let doc = structuredClone(document)
  let copied = 0
  ops.forEach((op, i) => {
    try {
      switch (op.op) {
        case 'add':
          doc = add(doc, op.path, structuredClone(op.value))
          break
        case 'remove':
          doc = remove(doc, op.path)
          break
        case 'replace':
          doc = replace(doc, op.path, structuredClone(op.value))
          break
        case 'copy': {
          const value = get(doc, op.from)
          copied += JSON.stringify(value)?.length ?? 0
          if (copied > maxCopied) {
            throw tooLarge(`The JSON Patch copies more than ${maxCopied} characters`)
          }
          doc = add(doc, op.path, structuredClone(value))
          break
        }
        case 'move': {
          if (op.path.startsWith(`${op.from}/`)) {
            throw unprocessable(`cannot move ${op.from} into its own child ${op.path}`)
          }
          const value = get(doc, op.from)
          if (op.path === op.from) break
          doc = add(remove(doc, op.from), op.path, value)
          break
        }
        case 'test':
          if (!jsonEqual(get(doc, op.path), op.value)) {
            throw unprocessable(`test failed: the value at ${op.path || '""'} differs`)
          }
          break
      }
    } catch (err) {
      if (err instanceof FhirError && err.status === 422) {
        throw unprocessable(
          `JSON Patch operation ${i} (${op.op}) failed: ${err.outcome.issue[0]!.diagnostics}`
        )
      }
      throw err
    }
  })
  return doc
}

// Paging cursors (keyset paging, docs/search.md "Paging"): a position in the result order, the sort
// keys and pk of the row it follows (or precedes, for a `previous` link), as opaque base64url JSON.
// A cursor names the _sort it was made for, so it cannot be replayed against another order.

import { badRequest } from '../../errors/outcome.ts'
import type { Cursor } from './request.ts'

const utf8 = new TextEncoder()
const utf8Decode = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })

function toBase64Url(text: string): string {
  let binary = ''
  for (const byte of utf8.encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
  return utf8Decode.decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)))
}

export function encodeCursor(cursor: Cursor, sort: string): string {
  return toBase64Url(JSON.stringify([cursor.before ? 1 : 0, cursor.pk, cursor.keys, sort]))
}

const invalid = () =>
  badRequest('Invalid _cursor: use the next or previous link returned by the server', ['_cursor'])

/** The cursor in `raw`, which must have been made for `sort` with `keys` sort keys. */
export function decodeCursor(raw: string, sort: string, keys: number): Cursor {
  let value: unknown
  try {
    value = JSON.parse(fromBase64Url(raw))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(value) || value.length !== 4) throw invalid()
  const [before, pk, values, madeFor] = value as unknown[]
  if ((before !== 0 && before !== 1) || !Number.isSafeInteger(pk) || madeFor !== sort)
    throw invalid()
  if (!Array.isArray(values) || values.length !== keys) throw invalid()
  const ok = values.every(
    (k) => k === null || typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k))
  )
  if (!ok) throw invalid()
  return { before: before === 1, pk: pk as number, keys: values as (string | number | null)[] }
}

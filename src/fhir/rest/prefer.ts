// The Prefer header (R4 http.html#ops, RFC 7240): `return=minimal` (no body), `return=representation`
// (the resource, the default), `return=OperationOutcome` (an OperationOutcome about the outcome).
// What a token without `r` gets instead is `returnFor` in result.ts.

export type ReturnPreference = 'minimal' | 'representation' | 'OperationOutcome'

/** The `return` preference of a Prefer header; representation when absent or not understood. */
export function preferReturn(header: string | undefined | null): ReturnPreference {
  for (const part of (header ?? '').split(/[,;]/)) {
    const [name, value] = part.split('=').map((s) => s.trim().replace(/^"|"$/g, ''))
    if (name?.toLowerCase() !== 'return' || !value) continue
    if (value.toLowerCase() === 'minimal') return 'minimal'
    if (value.toLowerCase() === 'operationoutcome') return 'OperationOutcome'
    if (value.toLowerCase() === 'representation') return 'representation'
  }
  return 'representation'
}

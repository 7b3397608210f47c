// Types shared by the search-parameter registry, the index extractor and the SQL layer.

/** FHIR R4 SearchParameter.type */
export type SearchParamType =
  | 'number'
  | 'date'
  | 'string'
  | 'token'
  | 'reference'
  | 'composite'
  | 'quantity'
  | 'uri'
  | 'special'

/** One search parameter as it applies to one resource type. */
export interface SearchParamDef {
  /** The name used in the query string, e.g. `code`, `_id`, `subject`. */
  code: string
  /** The resource type this definition is for (the registry expands multi-base parameters). */
  base: string
  type: SearchParamType
  /** FHIRPath expression restricted to `base` (empty for parameters read from columns, e.g. `_id`). */
  expression: string
  /** Allowed target resource types of a reference parameter. */
  targets?: readonly string[]
  /** Composite parameters: the component parameter codes and their sub-expressions. */
  components?: readonly { code: string; expression: string }[]
  /** Stable 31-bit id of `${base}.${code}` stored in index rows (see registry.ts). */
  sp: number
}

/** Index rows extracted from one resource; each list is a set (no duplicates). */
export interface IndexRows {
  token: { sp: number; code: string; system: string }[]
  tokenText: { sp: number; norm: string }[]
  string: { sp: number; norm: string; exact: string }[]
  date: { sp: number; lo: number; hi: number }[]
  /** The value, and the interval it stands for: [v, v], or open sides for a Range or comparator. */
  number: { sp: number; v: number; lo: number; hi: number }[]
  quantity: { sp: number; code: string; system: string; v: number; lo: number; hi: number }[]
  ref: { sp: number; target: string }[]
  uri: { sp: number; uri: string }[]
  /** Composite: a token key of the first component and the last component's value (0002_search.sql). */
  composite: { sp: number; key: string; a: string; b: string; v: number; lo: number; hi: number }[]
}

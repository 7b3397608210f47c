// Two single-valued date parameters on the same parameter, one a lower and one an upper bound
// (`date=ge2020&date=lt2021`), are one range that a single value must fall in, like HAPI's
// DateRangeParam (docs/search.md "Semantics"). Applied to a search's filters (plan.ts) and to each
// granular scope restriction (restrict.ts), so both read such a pair alike.

import type { Filter, RangeTest } from './request.ts'

const LOWER = new Set(['gt', 'ge', 'sa'])
const UPPER = new Set(['lt', 'le', 'eb'])

type Ranged = Extract<Filter, { kind: 'date' | 'lastUpdated' }>

const sameSps = (a: Filter, b: Filter) =>
  JSON.stringify((a as { sps?: number[] }).sps) === JSON.stringify((b as { sps?: number[] }).sps)

/** `filters` with each such pair merged into one filter (the first's place). */
export function mergeDateRanges(filters: readonly Filter[]): Filter[] {
  const out: Filter[] = []
  for (const f of filters) {
    const single = (x: Filter): x is Ranged =>
      (x.kind === 'date' || x.kind === 'lastUpdated') &&
      x.ranges.length === 1 &&
      x.ranges[0]!.length === 1
    const side = (t: RangeTest) =>
      LOWER.has(t.prefix) ? 'lower' : UPPER.has(t.prefix) ? 'upper' : undefined
    if (single(f) && side(f.ranges[0]![0]!)) {
      const partner = out.find(
        (o): o is Ranged =>
          single(o) &&
          o.kind === f.kind &&
          (o.kind === 'lastUpdated' || sameSps(o, f)) &&
          side(o.ranges[0]![0]!) !== undefined &&
          side(o.ranges[0]![0]!) !== side(f.ranges[0]![0]!)
      )
      if (partner) {
        const merged = {
          ...partner,
          ranges: [[partner.ranges[0]![0]!, f.ranges[0]![0]!]],
        } as Filter
        out[out.indexOf(partner)] = merged
        continue
      }
    }
    out.push(f)
  }
  return out
}

// FHIR date, dateTime and instant values as inclusive [lo, hi] epoch-millisecond ranges covering
// their implied precision (R4 search.html#date): `2014` is the whole year, `...T12:39:55+04:00` one
// second. A time without a zone is read as UTC (FHIR requires a zone; there is no server zone).

/** Bounds for an open Period side: the smallest and largest JavaScript Date values. */
export const MIN_DATE = -8640000000000000
export const MAX_DATE = 8640000000000000

const TIME = /(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?/.source
const DATE_TIME = new RegExp(`^(\\d{4})(?:-(\\d{2})(?:-(\\d{2})${TIME})?)?$`)

/** Epoch ms of a UTC calendar time; unlike Date.UTC, years 0-99 are not moved to the 1900s. */
function utc(y: number, month0: number, d = 1, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0)
  date.setUTCFullYear(y, month0, d)
  date.setUTCHours(h, mi, s, ms)
  return date.getTime()
}

export function dateRange(value: string): [lo: number, hi: number] | undefined {
  const m = DATE_TIME.exec(value.trim())
  if (!m) return undefined
  const [, ys, mos, ds, hs, mis, ss, frac, zone] = m
  const y = Number(ys)
  if (mos === undefined) return [utc(y, 0), utc(y + 1, 0) - 1]
  const mo = Number(mos)
  if (mo < 1 || mo > 12) return undefined
  if (ds === undefined) return [utc(y, mo - 1), utc(y, mo) - 1]
  const d = Number(ds)
  const day = utc(y, mo - 1, d)
  if (d < 1 || new Date(day).getUTCDate() !== d) return undefined
  if (hs === undefined) return [day, day + 86_400_000 - 1]
  const h = Number(hs)
  const mi = Number(mis)
  const s = ss === undefined ? 0 : Number(ss)
  if (h > 23 || mi > 59 || s > 60) return undefined
  let offset = 0
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
  }
  // Precision: a minute, a second, or the fraction's last digit (finer than 1 ms counts as 1 ms).
  let ms = 0
  let span = ss === undefined ? 60_000 : 1000
  if (frac !== undefined) {
    ms = Number(frac.slice(0, 3).padEnd(3, '0'))
    span = 10 ** Math.max(0, 3 - frac.length)
  }
  const lo = utc(y, mo - 1, d, h, mi, s, ms) - offset
  return [lo, lo + span - 1]
}

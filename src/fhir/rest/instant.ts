// Dates and instants in history parameters (`_since`, `_at`; R4 datatypes.html#instant): the range of
// epoch milliseconds a value covers at its precision, UTC for dates without a time. A time needs a
// zone, as in FHIR dateTime.

const PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/

/** [first, last] millisecond of `value`, or undefined when it is not a valid date or instant. */
export function parseInstant(value: string): [number, number] | undefined {
  const m = PATTERN.exec(value)
  if (!m) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  const month = mo === undefined ? 0 : Number(mo) - 1
  const day = d === undefined ? 1 : Number(d)
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'))
  let offset = 0
  if (zone && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000
  }
  const start =
    Date.UTC(Number(y), month, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0), ms) - offset
  const check = new Date(start + offset)
  const timeValid = Number(h ?? 0) <= 23 && Number(mi ?? 0) <= 59 && Number(s ?? 0) <= 59
  if (check.getUTCMonth() !== month || check.getUTCDate() !== day || !timeValid) return undefined
  let end: number // exclusive
  if (mo === undefined) end = Date.UTC(Number(y) + 1, 0, 1)
  else if (d === undefined) end = Date.UTC(Number(y), month + 1, 1)
  else if (h === undefined) end = Date.UTC(Number(y), month, day + 1)
  else end = start + (s === undefined ? 60_000 : frac === undefined ? 1000 : 1)
  return [start, end - 1]
}

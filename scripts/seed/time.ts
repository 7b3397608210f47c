// Pure date arithmetic for the seed: fixed time zones with US/EU daylight-saving rules and FHIR
// dateTime formatting with an explicit offset. No Intl or host time zone, so output never varies.

export const SECOND = 1000
export const MINUTE = 60 * SECOND
export const HOUR = 60 * MINUTE
export const DAY = 24 * HOUR
export const YEAR = 365.25 * DAY

/** A time zone: standard offset in minutes east of UTC and which daylight-saving rule applies. */
export interface Zone {
  std: number
  dst: 'us' | 'eu' | 'none'
}

/** UTC midnight of the n-th (1-based) Sunday of a month; n = -1 means the last Sunday. */
function sunday(year: number, month: number, n: number): number {
  if (n < 0) {
    const last = new Date(Date.UTC(year, month + 1, 0))
    return last.getTime() - last.getUTCDay() * DAY
  }
  const first = new Date(Date.UTC(year, month, 1))
  return first.getTime() + (((7 - first.getUTCDay()) % 7) + (n - 1) * 7) * DAY
}

/** Offset in minutes east of UTC in force at the instant utcMs. */
export function offsetAt(zone: Zone, utcMs: number): number {
  if (zone.dst === 'none') return zone.std
  const year = new Date(utcMs).getUTCFullYear()
  let start: number
  let end: number
  if (zone.dst === 'us') {
    // Second Sunday in March 02:00 standard time to first Sunday in November 02:00 daylight time.
    start = sunday(year, 2, 2) + 2 * HOUR - zone.std * MINUTE
    end = sunday(year, 10, 1) + 2 * HOUR - (zone.std + 60) * MINUTE
  } else {
    // Last Sunday in March 01:00 UTC to last Sunday in October 01:00 UTC.
    start = sunday(year, 2, -1) + HOUR
    end = sunday(year, 9, -1) + HOUR
  }
  return utcMs >= start && utcMs < end ? zone.std + 60 : zone.std
}

/** The instant at which a wall-clock time (encoded as if it were UTC) occurs in the zone. */
export function localToUtc(zone: Zone, localMs: number): number {
  const guess = localMs - zone.std * MINUTE
  return localMs - offsetAt(zone, guess) * MINUTE
}

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** FHIR dateTime such as 2014-05-11T12:39:55+04:00, or with milliseconds (for instants). */
export function formatDateTime(zone: Zone, utcMs: number, withMillis = false): string {
  const offset = offsetAt(zone, utcMs)
  const local = new Date(utcMs + offset * MINUTE).toISOString()
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.abs(offset)
  const body = withMillis ? local.slice(0, 23) : local.slice(0, 19)
  return `${body}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
}

/** FHIR date (YYYY-MM-DD) of a UTC-midnight timestamp. */
export function formatDate(utcMs: number): string {
  return new Date(utcMs).toISOString().slice(0, 10)
}

/** Days since the Unix epoch of a YYYY-MM-DD date. */
export function epochDay(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY
}

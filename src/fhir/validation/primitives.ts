// FHIR R4 primitive datatypes in JSON (datatypes.html#primitive, json.html#primitive): the JSON type
// each one takes and the regular expression its value matches, plus calendar checks the regexes
// leave out (2021-02-30 matches the date pattern but is not a date).
import { isId } from '../../lib/ids.ts'

const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)'
const MONTH = '(0[1-9]|1[0-2])'
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])'
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?'
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))'
const whole = (source: string) => new RegExp(`^${source}$`)

const PATTERNS: Readonly<Record<string, RegExp>> = {
  date: whole(`${YEAR}(-${MONTH}(-${DAY})?)?`),
  dateTime: whole(`${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?`),
  instant: whole(`${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}`),
  time: whole(TIME),
  code: /^[^\s]+(\s[^\s]+)*$/,
  uri: /^\S*$/,
  url: /^\S*$/,
  canonical: /^\S*$/,
  oid: /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/,
  uuid: /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  base64Binary: /^(\s*([0-9a-zA-Z+/=]){4}\s*)+$/,
}

const NUMBERS: Readonly<Record<string, [min: number, label: string]>> = {
  integer: [-2147483648, 'a 32-bit integer'],
  unsignedInt: [0, 'an integer from 0 to 2147483647'],
  positiveInt: [1, 'an integer from 1 to 2147483647'],
}

/** The FHIR primitive type names (`id`, `dateTime`, ...); every other type is an object. */
export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'base64Binary',
  'boolean',
  'canonical',
  'code',
  'date',
  'dateTime',
  'decimal',
  'id',
  'instant',
  'integer',
  'markdown',
  'oid',
  'positiveInt',
  'string',
  'time',
  'unsignedInt',
  'uri',
  'url',
  'uuid',
  'xhtml',
])

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate()

/** A calendar date's day beyond its month (2021-02-30), checked after the pattern matched. */
function impossibleDay(value: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(value)
  return m !== null && Number(m[3]) > daysIn(Number(m[1]), Number(m[2]))
}

/** Why `value` is not a valid JSON form of the primitive `type`; undefined when it is valid. */
export function primitiveProblem(type: string, value: unknown): string | undefined {
  const shown = JSON.stringify(value)
  if (type === 'boolean')
    return typeof value === 'boolean' ? undefined : `${shown} is not a boolean`
  if (type === 'decimal') {
    if (typeof value !== 'number') return `${shown} is not a JSON number (decimal)`
    return Number.isFinite(value) ? undefined : `${value} is not a finite decimal`
  }
  const range = NUMBERS[type]
  if (range) {
    if (typeof value !== 'number') return `${shown} is not a JSON number (${type})`
    const ok = Number.isInteger(value) && value >= range[0] && value <= 2147483647
    return ok ? undefined : `${value} is not ${range[1]} (${type})`
  }
  if (typeof value !== 'string') return `${shown} is not a JSON string (${type})`
  if (value === '') return `empty string is not a valid ${type}`
  if (type === 'id') return isId(value) ? undefined : `'${value}' is not a valid id`
  const pattern = PATTERNS[type]
  if (pattern && !pattern.test(value)) return `'${value}' is not a valid ${type}`
  if ((type === 'date' || type === 'dateTime' || type === 'instant') && impossibleDay(value))
    return `'${value}' is not a valid ${type}: no such day in that month`
  return undefined
}

// The one id syntax of this server (FHIR R4 datatypes.html#id): 1-64 characters of A-Z a-z 0-9 - .,
// except `.` and `..`, which FHIR's pattern allows but URLs cannot carry (they are path segments
// that normalisation removes: `Patient/..` would be stored and never reachable again).
// FHIR resources, Clients, AccessPolicies and policy links all use it. `ID` is the pattern's source,
// for building larger patterns (references such as `Patient/<id>/_history/<vid>`).

export const ID = '(?!\\.\\.?(?![A-Za-z0-9\\-.]))[A-Za-z0-9\\-.]{1,64}'

const WHOLE = new RegExp(`^${ID}$`)

export function isId(value: string): boolean {
  return WHOLE.test(value)
}

// The forms a Reference.reference may take (references.html#literal): a relative `Type/id` with an
// optional `/_history/vid`, an absolute URL, `urn:uuid:`, `urn:oid:`, `#id` of a contained resource
// (`#` alone is the container), and a conditional `Type?criteria` that a transaction resolves
// (http.html#trules).
import { ID } from '../../lib/ids.ts'
import { RESOURCE_TYPES } from '../definitions/resource-types.generated.ts'

const KNOWN_TYPES: ReadonlySet<string> = new Set(RESOURCE_TYPES)
const RELATIVE = new RegExp(`^([A-Za-z]+)/(${ID})(/_history/(${ID}))?$`)
const CONDITIONAL = /^([A-Za-z]+)\?\S+$/
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/]+\S*$/
const UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const OID = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/

/** Why `reference` is malformed; undefined when well formed. `contained` holds the container's ids. */
export function referenceProblem(
  reference: string,
  contained: ReadonlySet<string>
): string | undefined {
  if (reference.startsWith('#')) {
    const id = reference.slice(1)
    if (id === '' || contained.has(id)) return undefined
    return `'${reference}' names no contained resource`
  }
  if (reference.startsWith('urn:uuid:'))
    return UUID.test(reference) ? undefined : `'${reference}' is not a valid urn:uuid`
  if (reference.startsWith('urn:oid:'))
    return OID.test(reference) ? undefined : `'${reference}' is not a valid urn:oid`
  if (ABSOLUTE.test(reference)) return undefined
  const typed = RELATIVE.exec(reference) ?? CONDITIONAL.exec(reference)
  if (!typed) return `'${reference}' is not a relative Type/id, an absolute URL, a URN or #id`
  return KNOWN_TYPES.has(typed[1]) ? undefined : `'${typed[1]}' is not a resource type`
}

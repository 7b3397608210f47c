// Compartment search (R4 compartmentdefinition.html, search.html#compartments): GET
// /fhir/Patient/123/Observation is a search of Observation restricted to the resources that refer to
// Patient/123 through the parameters the compartment definition lists. Only the Patient compartment
// ships with the definitions this server is generated from.

import { COMPARTMENTS } from '../definitions/compartments.generated.ts'
import { FhirError } from '../../errors/outcome.ts'
import { extractIndexRows } from '../index/extract.ts'
import { searchParam } from '../index/registry.ts'
import type { AppliedFilter } from './request.ts'

const error = (status: number, code: 'not-supported' | 'invalid', diagnostics: string) =>
  new FhirError(status, { severity: 'error', code, diagnostics })

/** The searched types (one, or every member for `*`) and the filter that keeps the compartment. */
export function compartmentFilter(
  compartment: string,
  id: string,
  type: string
): { types: string[]; filter: AppliedFilter } {
  const members = Object.hasOwn(COMPARTMENTS, compartment) ? COMPARTMENTS[compartment]! : undefined
  if (!members) {
    const known = Object.keys(COMPARTMENTS).join(', ')
    throw error(
      400,
      'not-supported',
      `${compartment} is not a compartment this server supports (${known})`
    )
  }
  const types = type === '*' ? Object.keys(members) : [type]
  if (type !== '*' && !Object.hasOwn(members, type)) {
    throw error(400, 'invalid', `${type} resources are not in the ${compartment} compartment`)
  }
  const sps = types.flatMap((t) => members[t]!.flatMap((code) => searchParam(t, code)?.sp ?? []))
  return {
    types,
    filter: {
      name: '',
      raw: '',
      filter: { kind: 'reference', sps, targets: [`${compartment}/${id}`] },
    },
  }
}

/**
 * The alternatives (OR-ed, each one parameter) that keep `type` to the compartment `reference`
 * (`Patient/123`) names: one per parameter the definition links the type with, and `_id` for the
 * owner's own type (the Patient itself). Null when the type is not in the compartment.
 */
export function compartmentAlternatives(
  type: string,
  reference: string
): [string, string][][] | null {
  const [compartment, id] = reference.split('/') as [string, string | undefined]
  const members = Object.hasOwn(COMPARTMENTS, compartment) ? COMPARTMENTS[compartment]! : undefined
  if (!members || !id || !Object.hasOwn(members, type)) return null
  const links = members[type]!.map((code): [string, string][] => [[code, reference]])
  return type === compartment ? [[['_id', id]], ...links] : links
}

/**
 * Whether `resource` (a `type`) is in the Patient compartment of Patient/`patient`, exactly as a
 * search restricted to it (compartmentAlternatives) would find it once stored: its index rows refer
 * to `Patient/<patient>` through one of the type's compartment parameters, or it is that Patient.
 * In memory: what a write under `patient/` scopes tests its current and its new version with.
 */
export function inPatientCompartment(
  type: string,
  resource: Record<string, unknown>,
  patient: string
): boolean {
  const codes = Object.hasOwn(COMPARTMENTS.Patient!, type) ? COMPARTMENTS.Patient![type]! : null
  if (!codes) return false
  if (type === 'Patient' && resource.id === patient) return true
  const sps = new Set(codes.flatMap((code) => searchParam(type, code)?.sp ?? []))
  const target = `Patient/${patient}`
  return extractIndexRows(resource).ref.some((row) => sps.has(row.sp) && row.target === target)
}

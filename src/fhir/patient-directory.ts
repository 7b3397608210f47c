// The patients a person may pick on the consent page of the authorization endpoint (SMART App Launch
// "standalone launch with launch/patient": a practitioner picks the patient). The token service
// (src/oauth/) cannot reach the FHIR storage itself (layers point one way), so src/app.ts hands it
// these two functions: a name search through the ordinary search machinery, and one Patient by id.

import { findIds } from './search/find.ts'
import { readResources, type FhirResource } from './storage/resources.ts'

export interface PatientSummary {
  id: string
  name: string
  birthDate?: string
}

/** Up to `limit` current Patients whose name matches `text` (FHIR `name` search; empty: any). */
export async function findPatients(
  db: D1Database,
  text: string,
  limit: number
): Promise<PatientSummary[]> {
  const query = new URLSearchParams(text.trim() ? { name: text.trim() } : {})
  const ids = await findIds(db, 'Patient', query, limit)
  const rows = await readResources(
    db,
    ids.map((id) => ({ type: 'Patient', id }))
  )
  return ids.flatMap((id) => {
    const row = rows.get(`Patient/${id}`)
    return row && !row.deleted ? [summary(row.body)] : []
  })
}

/** The current Patient `id`, or null when there is none. */
export async function patientById(db: D1Database, id: string): Promise<PatientSummary | null> {
  const row = (await readResources(db, [{ type: 'Patient', id }])).get(`Patient/${id}`)
  return row && !row.deleted ? summary(row.body) : null
}

function summary(patient: FhirResource): PatientSummary {
  const names = Array.isArray(patient.name) ? (patient.name as Record<string, unknown>[]) : []
  const name = names.find((n) => n.use === 'official') ?? names[0]
  const text =
    typeof name?.text === 'string'
      ? name.text
      : [...(Array.isArray(name?.given) ? name.given : []), name?.family]
          .filter((part): part is string => typeof part === 'string')
          .join(' ')
  return {
    id: patient.id,
    name: text || `Patient ${patient.id}`,
    ...(typeof patient.birthDate === 'string' && { birthDate: patient.birthDate }),
  }
}

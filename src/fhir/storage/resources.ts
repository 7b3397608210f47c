// Reading the current rows of resources from D1 (one, one as stored JSON text, or many at once), and
// the types of a stored resource and of a written version. Writes are planned in plan-write.ts and
// committed by commit.ts.

export type FhirResource = Record<string, unknown> & { resourceType: string; id: string }

/** The current row of a resource (a deleted resource keeps its last body). */
export interface StoredRow {
  pk: number
  version: number
  lastUpdated: number
  deleted: boolean
  body: FhirResource
}

/** The version a write produces: `body` is null for a delete. */
export interface WrittenVersion {
  type: string
  id: string
  version: number
  lastUpdated: number
  body: FhirResource | null
  /** The body as stored JSON text, when this write made it (answers splice it in as it is). */
  text?: string
}

interface ResourceRecord {
  pk: number
  type: string
  id: string
  version: number
  last_updated: number
  deleted: number
  body: string
}

export async function readResource(
  db: D1Database,
  type: string,
  id: string
): Promise<StoredRow | null> {
  const row = await db
    .prepare(
      'SELECT pk, version, last_updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2'
    )
    .bind(type, id)
    .first<ResourceRecord>()
  return row ? toStored(row) : null
}

/** The current row with its body as stored JSON text (a read answers it without parsing). */
export interface StoredText {
  version: number
  lastUpdated: number
  deleted: boolean
  text: string
}

export async function readResourceText(
  db: D1Database,
  type: string,
  id: string
): Promise<StoredText | null> {
  const row = await db
    .prepare(
      'SELECT version, last_updated, deleted, body FROM resource WHERE type = ?1 AND id = ?2'
    )
    .bind(type, id)
    .first<ResourceRecord>()
  return (
    row && {
      version: row.version,
      lastUpdated: row.last_updated,
      deleted: row.deleted === 1,
      text: row.body,
    }
  )
}

/** `Type/id`, the key of readResources' map. */
export const resourceKey = (type: string, id: string) => `${type}/${id}`

/** The current rows of many resources in one query (ids passed as one JSON parameter). */
export async function readResources(
  db: D1Database,
  keys: readonly { type: string; id: string }[]
): Promise<Map<string, StoredRow>> {
  const found = new Map<string, StoredRow>()
  if (!keys.length) return found
  const { results } = await db
    .prepare(
      'SELECT r.pk, r.type, r.id, r.version, r.last_updated, r.deleted, r.body FROM json_each(?1) k ' +
        'JOIN resource r ON r.type = k.value ->> 0 AND r.id = k.value ->> 1'
    )
    .bind(JSON.stringify(keys.map((k) => [k.type, k.id])))
    .all<ResourceRecord>()
  for (const row of results) found.set(resourceKey(row.type, row.id), toStored(row))
  return found
}

function toStored(row: ResourceRecord): StoredRow {
  return {
    pk: row.pk,
    version: row.version,
    lastUpdated: row.last_updated,
    deleted: row.deleted === 1,
    body: JSON.parse(row.body) as FhirResource,
  }
}

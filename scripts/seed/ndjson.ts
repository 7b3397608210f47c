// NDJSON output: one file per resource type, one resource per line, each line ending in "\n".
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs'
import path from 'node:path'
import { RESOURCE_TYPES, type FhirResource, type ResourceType } from './types.ts'

/** One NDJSON line. Key order is the order the builders create keys in, so it is stable. */
export function toLine(resource: FhirResource): string {
  return `${JSON.stringify(resource)}\n`
}

/** NDJSON text per resource type, in memory (for tests and small sets). */
export function toNdjson(resources: Iterable<FhirResource>): Map<ResourceType, string> {
  const out = new Map<ResourceType, string>(RESOURCE_TYPES.map((type) => [type, '']))
  for (const resource of resources) {
    out.set(resource.resourceType, out.get(resource.resourceType) + toLine(resource))
  }
  return out
}

export interface WriteSummary {
  counts: Record<ResourceType, number>
  files: string[]
  bytes: number
}

const FLUSH_AT = 1 << 20

/**
 * Streams resources into `<outDir>/<Type>.ndjson`, truncating each file first and buffering about
 * 1 MiB per type, so memory stays flat however many resources come through.
 */
export function writeNdjson(resources: Iterable<FhirResource>, outDir: string): WriteSummary {
  mkdirSync(outDir, { recursive: true })
  const files = RESOURCE_TYPES.map((type) => path.join(outDir, `${type}.ndjson`))
  const fds = new Map(RESOURCE_TYPES.map((type, i) => [type, openSync(files[i], 'w')]))
  const buffers = new Map<ResourceType, string[]>(RESOURCE_TYPES.map((type) => [type, []]))
  const pending = new Map<ResourceType, number>(RESOURCE_TYPES.map((type) => [type, 0]))
  const counts = Object.fromEntries(
    RESOURCE_TYPES.map((type) => [type, 0])
  ) as WriteSummary['counts']
  let bytes = 0
  const flush = (type: ResourceType) => {
    const chunk = Buffer.from(buffers.get(type)!.join(''), 'utf8')
    if (chunk.length > 0) writeSync(fds.get(type)!, chunk)
    bytes += chunk.length
    buffers.set(type, [])
    pending.set(type, 0)
  }
  try {
    for (const resource of resources) {
      const type = resource.resourceType
      const line = toLine(resource)
      buffers.get(type)!.push(line)
      counts[type]++
      const size = pending.get(type)! + line.length
      pending.set(type, size)
      if (size >= FLUSH_AT) flush(type)
    }
    for (const type of RESOURCE_TYPES) flush(type)
  } finally {
    for (const fd of fds.values()) closeSync(fd)
  }
  return { counts, files, bytes }
}

// Reading NDJSON input for the loader: files or a directory (referenced types first), line by line,
// streaming, with each line validated enough to be sent (JSON object, resourceType, FHIR id).

import { createReadStream, readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { isId } from '../../src/lib/ids.ts'
import { RESOURCE_TYPES } from '../seed/generate.ts'

export interface InputLine {
  file: string
  line: number
  resource?: Record<string, unknown> & { resourceType: string; id: string }
  error?: string
}

/** The NDJSON files behind `input` (a file, or every *.ndjson in a directory in load order). */
export function inputFiles(input: string): string[] {
  if (!statSync(input).isDirectory()) return [path.resolve(input)]
  const rank = (name: string) => {
    const i = (RESOURCE_TYPES as readonly string[]).indexOf(name.replace(/\.ndjson$/, ''))
    return i < 0 ? RESOURCE_TYPES.length : i
  }
  return readdirSync(input)
    .filter((name) => name.endsWith('.ndjson'))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((name) => path.resolve(input, name))
}

/** Non-empty lines per file (for the progress bar's total). */
export async function countLines(file: string): Promise<number> {
  let count = 0
  for await (const text of createInterface({
    input: createReadStream(file),
    crlfDelay: Infinity,
  })) {
    if (text.trim() !== '') count++
  }
  return count
}

function parseLine(text: string): Pick<InputLine, 'resource' | 'error'> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    return { error: `not JSON: ${(err as Error).message}` }
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { error: 'not a JSON object' }
  const { resourceType, id } = value as Record<string, unknown>
  if (typeof resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(resourceType)) {
    return { error: 'missing or invalid resourceType' }
  }
  if (typeof id !== 'string' || !isId(id)) {
    return {
      error:
        'missing or invalid id (the loader writes by id, so that loading twice changes nothing)',
    }
  }
  return { resource: value as InputLine['resource'] }
}

/** Every non-empty line of `file` after line `skipThrough` (1-based); `onSkip` counts the others. */
export async function* readLines(
  file: string,
  skipThrough = 0,
  onSkip?: () => void
): AsyncGenerator<InputLine> {
  let line = 0
  for await (const text of createInterface({
    input: createReadStream(file),
    crlfDelay: Infinity,
  })) {
    line++
    if (text.trim() === '') continue
    if (line <= skipThrough) {
      onSkip?.()
      continue
    }
    yield { file, line, ...parseLine(text) }
  }
}

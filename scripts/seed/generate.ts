// CLI and public entry point of the FHIR R4 seed generator:
//   node scripts/seed/generate.ts --patients N [--seed S] [--out DIR]
// writes DIR/<ResourceType>.ndjson (default seed/fhir) and prints a summary to stderr.
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { DEFAULT_SEED, generateResources } from './generator.ts'
import { writeNdjson, type WriteSummary } from './ndjson.ts'

export { DEFAULT_SEED, generate, generateResources, practitionerCount } from './generator.ts'
export { toLine, toNdjson, writeNdjson, type WriteSummary } from './ndjson.ts'
export { RESOURCE_TYPES, type FhirResource, type GenerateOptions } from './types.ts'

export const DEFAULT_OUT = 'seed/fhir'

const USAGE = 'usage: node scripts/seed/generate.ts --patients N [--seed S] [--out DIR]'

export interface CliOptions {
  patients: number
  seed: number
  out: string
}

function integer(name: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`--${name} must be a non-negative integer, got ${text}`)
  return Number(text)
}

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      patients: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  })
  if (values.patients === undefined) throw new Error(`--patients is required\n${USAGE}`)
  return {
    patients: integer('patients', values.patients),
    seed: values.seed === undefined ? DEFAULT_SEED : integer('seed', values.seed),
    out: values.out ?? DEFAULT_OUT,
  }
}

export function formatSummary(summary: WriteSummary, out: string, seconds: number): string {
  const total = Object.values(summary.counts).reduce((a, b) => a + b, 0)
  const width = Math.max(...Object.keys(summary.counts).map((type) => type.length))
  const lines = Object.entries(summary.counts).map(
    ([type, count]) => `  ${type.padEnd(width)}  ${String(count).padStart(9)}`
  )
  const mib = (summary.bytes / 2 ** 20).toFixed(1)
  return [
    `wrote ${total} resources to ${out}/ (${summary.bytes} bytes, ${mib} MiB)` +
      ` in ${seconds.toFixed(2)} s`,
    ...lines,
  ].join('\n')
}

export function main(argv: string[]): number {
  let options: CliOptions
  try {
    options = parseCli(argv)
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`)
    return 2
  }
  const started = performance.now()
  const summary = writeNdjson(generateResources(options), options.out)
  const seconds = (performance.now() - started) / 1000
  process.stderr.write(`${formatSummary(summary, options.out, seconds)}\n`)
  return 0
}

if (import.meta.main) process.exitCode = main(process.argv.slice(2))

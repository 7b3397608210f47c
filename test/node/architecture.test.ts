// Tests for the architecture rules in .dependency-cruiser.cjs (issue 9): dependency-cruiser runs
// with the project's own config, as `npm run check:deps` does, on small trees under
// test/node/fixtures/architecture/<case>/ laid out like the repository (src/, and test/ or
// scripts/ where a case needs them). Each case must be reported under exactly the rules expected,
// and a tree whose imports only point down must pass.
import path from 'node:path'
import { cruise, type ICruiseResult } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'
import { describe, expect, it } from 'vitest'

const ROOT = path.resolve(import.meta.dirname, '../..')
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs')
const FIXTURES = path.join(import.meta.dirname, 'fixtures/architecture')

interface Violation {
  rule: string
  from: string
  to: string
}

/** Cruises fixtures/architecture/<name>/src from that tree's root, with the project's config. */
async function cruiseFixture(name: string): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(CONFIG)
  const tsConfigFile = options.tsConfig?.fileName
  if (!tsConfigFile) throw new Error(`${CONFIG} names no tsConfig`)
  const { output } = await cruise(
    ['src'],
    { ...options, baseDir: path.join(FIXTURES, name) },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) }
  )
  if (typeof output === 'string') throw new Error(`expected a cruise result, got: ${output}`)
  return output
}

/** The violations of a fixture tree, sorted, as rule name + from + to. */
async function violationsOf(name: string): Promise<Violation[]> {
  const result = await cruiseFixture(name)
  return result.summary.violations
    .map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }))
    .sort((a, b) => `${a.rule} ${a.from} ${a.to}`.localeCompare(`${b.rule} ${b.from} ${b.to}`))
}

describe('architecture rules (.dependency-cruiser.cjs)', () => {
  it('passes a tree whose every import points down, type-only imports included', async () => {
    const result = await cruiseFixture('clean')
    expect(result.summary.violations).toEqual([])

    // Guard against passing vacuously: every layer was cruised and every import resolved.
    const modules = result.modules.map((m) => m.source).filter((s) => s.startsWith('src/'))
    expect(modules).toHaveLength(15)
    const deps = result.modules.flatMap((m) => m.dependencies)
    expect(deps).toHaveLength(20)
    expect(deps.filter((d) => d.couldNotResolve)).toEqual([])
    expect(deps.some((d) => d.dependencyTypes.includes('type-only'))).toBe(true)
  })

  it('reports lib importing fhir as an upward import', async () => {
    expect(await violationsOf('lib-imports-fhir')).toEqual([
      { rule: 'no-upward-from-lib', from: 'src/lib/ids.ts', to: 'src/fhir/routes.ts' },
    ])
  })

  it('reports each layer importing the layer just above it, under its own rule', async () => {
    expect(await violationsOf('each-layer-imports-next')).toEqual([
      { rule: 'no-upward-from-auth', from: 'src/auth/a.ts', to: 'src/policy/a.ts' },
      { rule: 'no-upward-from-config', from: 'src/config/a.ts', to: 'src/http/a.ts' },
      { rule: 'no-upward-from-errors', from: 'src/errors/a.ts', to: 'src/config/a.ts' },
      { rule: 'no-upward-from-http', from: 'src/http/a.ts', to: 'src/auth/a.ts' },
      { rule: 'no-upward-from-lib', from: 'src/lib/a.ts', to: 'src/errors/a.ts' },
      { rule: 'no-upward-from-policy', from: 'src/policy/a.ts', to: 'src/admin/a.ts' },
    ])
  })

  it('reports a cycle between two modules of src/fhir/search', async () => {
    const result = await cruiseFixture('search-cycle')
    expect(result.summary.violations).toHaveLength(1)
    const [cycle] = result.summary.violations
    expect(cycle?.rule.name).toBe('no-circular')
    expect(cycle?.cycle?.map((step) => step.name).sort()).toEqual([
      'src/fhir/search/plan.ts',
      'src/fhir/search/sort.ts',
    ])
  })

  it('reports a cycle made only of type imports', async () => {
    expect(await violationsOf('type-only-cycle')).toEqual([
      { rule: 'no-circular', from: 'src/lib/leaf.ts', to: 'src/lib/tree.ts' },
    ])
  })

  it('reports admin importing fhir and fhir importing admin', async () => {
    expect(await violationsOf('admin-fhir-cross')).toEqual([
      { rule: 'no-top-folder-cross', from: 'src/admin/routes.ts', to: 'src/fhir/capability.ts' },
      { rule: 'no-top-folder-cross', from: 'src/fhir/routes.ts', to: 'src/admin/clients.ts' },
    ])
  })

  it('reports oauth importing admin or fhir, and admin or fhir importing oauth; oauth may use auth', async () => {
    expect(await violationsOf('oauth-cross')).toEqual([
      { rule: 'no-top-folder-cross', from: 'src/admin/routes.ts', to: 'src/oauth/errors.ts' },
      { rule: 'no-top-folder-cross', from: 'src/fhir/routes.ts', to: 'src/oauth/errors.ts' },
      { rule: 'no-top-folder-cross', from: 'src/oauth/routes.ts', to: 'src/admin/clients.ts' },
      { rule: 'no-top-folder-cross', from: 'src/oauth/routes.ts', to: 'src/fhir/capability.ts' },
      { rule: 'no-upward-from-auth', from: 'src/auth/tokens.ts', to: 'src/oauth/errors.ts' },
    ])
  })

  it('reports search importing storage and storage importing search', async () => {
    expect(await violationsOf('search-storage-cross')).toEqual([
      {
        rule: 'fhir-search-points-down',
        from: 'src/fhir/search/find.ts',
        to: 'src/fhir/storage/resources.ts',
      },
      {
        rule: 'fhir-storage-points-down',
        from: 'src/fhir/storage/history.ts',
        to: 'src/fhir/search/escape.ts',
      },
    ])
  })

  it('reports fhir sub-layers importing upward; definitions may use index/types.ts', async () => {
    expect(await violationsOf('fhir-sublayers-upward')).toEqual([
      {
        rule: 'fhir-definitions-standalone',
        from: 'src/fhir/definitions/params.generated.ts',
        to: 'src/fhir/index/registry.ts',
      },
      {
        rule: 'fhir-index-points-down',
        from: 'src/fhir/index/extract.ts',
        to: 'src/fhir/rest/result.ts',
      },
      {
        rule: 'fhir-index-points-down',
        from: 'src/fhir/index/extract.ts',
        to: 'src/fhir/search/find.ts',
      },
      {
        rule: 'fhir-index-points-down',
        from: 'src/fhir/index/extract.ts',
        to: 'src/fhir/storage/resources.ts',
      },
      {
        rule: 'fhir-search-points-down',
        from: 'src/fhir/search/searchset.ts',
        to: 'src/fhir/routes.ts',
      },
      {
        rule: 'fhir-storage-points-down',
        from: 'src/fhir/storage/resources.ts',
        to: 'src/fhir/rest/result.ts',
      },
    ])
  })

  it('reports a layer importing the app layer, but not src/index.ts importing app.ts', async () => {
    expect(await violationsOf('imports-app')).toEqual([
      { rule: 'no-import-of-app', from: 'src/fhir/routes.ts', to: 'src/app.ts' },
    ])
  })

  it('reports src importing test/, scripts/ or a node: built-in', async () => {
    expect(await violationsOf('reaches-outside')).toEqual([
      { rule: 'no-import-of-scripts', from: 'src/lib/crypto.ts', to: 'scripts/tool.ts' },
      { rule: 'no-import-of-test', from: 'src/lib/crypto.ts', to: 'test/helpers.ts' },
      { rule: 'no-node-builtins', from: 'src/lib/crypto.ts', to: 'crypto' },
    ])
  })

  it('reports an import of a folder under src/ that is no layer', async () => {
    expect(await violationsOf('unmapped-folder')).toEqual([
      { rule: 'no-unmapped-folder', from: 'src/app.ts', to: 'src/utils/strings.ts' },
    ])
  })
})

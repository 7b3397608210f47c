// Architecture rules for src/ (issue 9), checked by `npm run check:deps` and proven on fixture
// trees by test/node/architecture.test.ts. Layers only point down:
//
//   lib -> errors -> config -> http -> auth -> policy -> {admin, fhir, oauth} -> app
//
// where app is the files directly in src/ (src/app.ts, src/index.ts).
//
// A module may import its own layer and any layer below it; admin, fhir and oauth (the token
// service) never import each other.
// Inside fhir: definitions -> index -> {storage, search} -> the rest of src/fhir.
// Type-only imports count (tsPreCompilationDeps), for cycles and for layers alike.
//
// Paths are relative to the directory the cruise runs from (the repository root, or a fixture
// tree's root in the test), so every rule anchors on ^src/.

const path = require('node:path')

/** Folders under src/ in layer order, bottom first; the files directly in src/ are above them. */
const LAYERS = ['lib', 'errors', 'config', 'http', 'auth', 'policy']
const TOP_FOLDERS = ['admin', 'fhir', 'oauth']
const KNOWN_FOLDERS = [...LAYERS, ...TOP_FOLDERS]

const folders = (names) => `^src/(${names.join('|')})/`
/** A file directly in src/: src/app.ts, src/index.ts, any src/*.ts. */
const APP = '^src/[^/]+$'

/** One rule per layer below the top: it imports nothing from the layers above it. */
const upward = LAYERS.map((layer, i) => ({
  name: `no-upward-from-${layer}`,
  comment: `src/${layer} may import only ${LAYERS.slice(0, i + 1).join(', ')}.`,
  severity: 'error',
  from: { path: `^src/${layer}/` },
  to: { path: folders([...LAYERS.slice(i + 1), ...TOP_FOLDERS]) },
}))

/** Imports inside src/fhir that leave `allowed` (folders under src/fhir, or exact files). */
const fhirOutside = (allowed) => ({
  path: '^src/fhir/',
  pathNot: `^src/fhir/(${allowed.join('|')})`,
})

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Import cycle (type-only imports included): break it by moving the shared part down.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...upward,
    {
      name: 'no-top-folder-cross',
      comment: `${TOP_FOLDERS.join(', ')} are side by side: none imports another; share code from below.`,
      severity: 'error',
      from: { path: folders(TOP_FOLDERS) },
      to: { path: folders(TOP_FOLDERS), pathNot: '^src/$1/' },
    },
    {
      name: 'no-import-of-app',
      comment: 'The app layer (files directly in src/) is the top: nothing outside it imports it.',
      severity: 'error',
      from: { path: folders(['[^/]+']) },
      to: { path: APP },
    },
    {
      name: 'no-unmapped-folder',
      comment: `Folders under src/ are layers (${KNOWN_FOLDERS.join(', ')}); map new ones here.`,
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/[^/]+/', pathNot: folders(KNOWN_FOLDERS) },
    },
    {
      name: 'fhir-definitions-standalone',
      comment: 'src/fhir/definitions imports nothing else in src/fhir but src/fhir/index/types.ts.',
      severity: 'error',
      from: { path: '^src/fhir/definitions/' },
      to: fhirOutside(['definitions/', 'index/types\\.ts$']),
    },
    {
      name: 'fhir-index-points-down',
      comment: 'src/fhir/index may import only src/fhir/definitions and itself within src/fhir.',
      severity: 'error',
      from: { path: '^src/fhir/index/' },
      to: fhirOutside(['definitions/', 'index/']),
    },
    {
      name: 'fhir-storage-points-down',
      comment: 'src/fhir/storage may import only definitions, index and itself within src/fhir.',
      severity: 'error',
      from: { path: '^src/fhir/storage/' },
      to: fhirOutside(['definitions/', 'index/', 'storage/']),
    },
    {
      name: 'fhir-search-points-down',
      comment: 'src/fhir/search may import only definitions, index and itself within src/fhir.',
      severity: 'error',
      from: { path: '^src/fhir/search/' },
      to: fhirOutside(['definitions/', 'index/', 'search/']),
    },
    {
      name: 'no-import-of-test',
      comment: 'Worker code does not import test code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-import-of-scripts',
      comment: 'Worker code does not import the Node scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'no-node-builtins',
      comment: 'Worker code uses Web standards only: no node: built-ins (no nodejs_compat).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    // Absolute, so a cruise run from a fixture tree still reads the project's compiler options.
    tsConfig: { fileName: path.join(__dirname, 'tsconfig.json') },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}

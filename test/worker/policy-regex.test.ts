// The linear-time regex engine behind #regex and json-schema patterns (docs/access-policies.md#limits)
// answers as JavaScript's own RegExp#test does, pattern by pattern and input by input, lookarounds,
// flags, word boundaries and astral code points included, and spends the evaluation budget.
import { describe, expect, it } from 'vitest'
import { BudgetExceeded, EvaluationBudget } from '../../src/policy/engines/budget.ts'
import { compileMatchoRegex } from '../../src/policy/engines/regex.ts'

const PATTERNS = [
  'a',
  '^a',
  'a$',
  '^$',
  'ab|cd',
  '(a|b)*c',
  'a{2,3}b',
  'a{2}',
  'a{2,}',
  'a*?b',
  '()',
  '(|a)b',
  '(a*)*b',
  '^(?:a|ab)(?:c|bcd)(?:d*)$',
  '\\bfoo\\b',
  '\\Bo',
  '[a-c]+x',
  '[^a]',
  '.',
  '^.$',
  '(?s)^.$',
  '(?m)^b',
  '(?m)a$',
  '\\d+',
  '\\s',
  '\\p{L}+',
  '\\u{1F600}',
  '\\uD83D\\uDE00',
  '[\\]]',
  '\\.',
  '\\/',
  '\\x41',
  '\\cJ',
  '(?i)PAT',
  '^(?i)patient',
  '(?i)\\w',
  '(?i)\\bk',
  '(?i)é',
  'ſ',
  '^(?i)(?!.*(INSERT|DELETE)).*',
  '(?<=a)b',
  '(?<!a)b',
  'x(?=yz)',
  'x(?!y)',
  '(?<=(?<!c)ab)c',
  '(?=a)',
  '(?!)',
  '(?<=^|,)x(?=,|$)',
  '(?<n>ab)+c',
  '^/fhir/(Patient|Observation)(/[^/]+)?$',
]
const PIECES = [
  'a',
  'b',
  'c',
  'd',
  'x',
  'y',
  'z',
  'A',
  'P',
  'k',
  'K',
  '\u212a',
  '\u017f',
  's',
  'S',
  '/',
  '\n',
  ' ',
  ',',
  '=',
  '😀',
  '\uD83D',
  'é',
  'É',
  '1',
  '_',
  '.',
  'fhir',
  'Patient',
  'INSERT',
  'foo',
]

/** Deterministic inputs: every string of up to 2 pieces, then pseudo-random ones up to 7. */
function inputs(): string[] {
  const out = ['']
  for (const p of PIECES) for (const q of ['', ...PIECES]) out.push(p + q)
  let seed = 7
  for (let n = 0; n < 1500; n++) {
    let s = ''
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    for (let k = seed % 8; k > 0; k--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      s += PIECES[seed % PIECES.length]
    }
    out.push(s)
  }
  return out
}

/** The native equivalent of a matcho #regex (leading Java flags become JavaScript flags). */
function native(source: string): RegExp {
  const m = /^(\^?)\(\?([ims]+)\)/.exec(source)
  return m ? new RegExp(m[1] + source.slice(m[0].length), `u${m[2]}`) : new RegExp(source, 'u')
}

describe('policy regexes answer as RegExp#test does (docs/access-policies.md#limits)', () => {
  const texts = inputs()
  it.each(PATTERNS)('/%s/ on %# inputs', (source) => {
    const mine = compileMatchoRegex(source)
    const theirs = native(source)
    const differ = texts.filter((t) => mine.test(t, new EvaluationBudget()) !== theirs.test(t))
    expect(differ).toEqual([])
  })
})

describe('policy regexes spend the evaluation budget', () => {
  it('spends one step per live state per character, so a long search can run out', () => {
    const regex = compileMatchoRegex('(?:\\w{1,30}){1,30}!')
    expect(() => regex.test('a'.repeat(4000), new EvaluationBudget())).toThrow(BudgetExceeded)
    expect(regex.test('aaa!', new EvaluationBudget(1000))).toBe(true)
  })

  it('runs stacked wildcards in steps linear in the input', () => {
    const regex = compileMatchoRegex('.*.*.*=')
    const steps = (n: number): number => {
      const budget = new EvaluationBudget()
      expect(regex.test('a'.repeat(n), budget)).toBe(false)
      return budget.spent
    }
    expect(steps(4000)).toBeLessThan(2.01 * steps(2000))
  })
})

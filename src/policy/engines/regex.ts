// Compiles matcho `#regex` strings (Java-flavoured in Aidbox) into JavaScript RegExps, once, at
// save time.

const LEADING_FLAGS = /^(\^?)\(\?([a-zA-Z]+)\)/

/**
 * Compiles the text after `#`. The match is a search, not a full match (aidbox.md §2.5 rule 3:
 * Clojure's `re-find`). Java inline flags at the very start (`(?i)…` or `^(?i)…`, as in the docs'
 * example) become JavaScript flags: `i`, `m`, `s`; `u` is accepted and ignored. The `u` flag is
 * always on, so Java-only escapes such as `\A`, `\Z` or `\Q…\E` are syntax errors here instead of
 * silently matching letters. Throws an Error with a readable message when the expression cannot
 * be compiled.
 */
export function compileMatchoRegex(source: string): RegExp {
  let body = source
  let flags = 'u'
  const m = LEADING_FLAGS.exec(source)
  if (m) {
    for (const flag of m[2]!) {
      if (flag === 'u') continue
      if (flag !== 'i' && flag !== 'm' && flag !== 's') {
        throw new Error(`inline flag (?${flag}) is not supported (only i, m, s)`)
      }
      if (!flags.includes(flag)) flags += flag
    }
    body = m[1]! + source.slice(m[0].length)
  }
  try {
    return new RegExp(body, flags)
  } catch (e) {
    throw new Error(e instanceof Error ? e.message : String(e))
  }
}

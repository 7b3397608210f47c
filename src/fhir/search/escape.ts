// Splitting search values on unescaped separators (R4 search.html#escaping): `\,` `\|` `\$` and `\\`
// stand for the literal character; an unescaped separator splits.

/** Splits `text` on unescaped `separator` and unescapes each part. */
export function splitEscaped(text: string, separator: ',' | '|' | '$'): string[] {
  const parts: string[] = []
  let current = ''
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '\\' && i + 1 < text.length && ',|$\\'.includes(text[i + 1]!)) {
      current += ch + text[i + 1]
      i++
    } else if (ch === separator) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

/** Removes the escaping backslashes of `\,` `\|` `\$` `\\`. */
export function unescapeValue(text: string): string {
  return text.replace(/\\([,|$\\])/g, '$1')
}

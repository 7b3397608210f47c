// Text normalisation for string and token :text index rows: compatibility-decomposed (NFKD),
// accents and other combining marks removed, lower case, whitespace collapsed and trimmed.

export function normalizeText(s: string): string {
  return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim()
}

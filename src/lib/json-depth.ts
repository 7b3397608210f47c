// How deeply a JSON text nests, found by one scan of the text before it is parsed: a body nested
// millions of levels deep costs seconds to parse and overflows every recursive walk after it
// (serialising, index extraction), so it is refused first.

const OPEN_OBJECT = 123 // {
const OPEN_ARRAY = 91 // [
const CLOSE_OBJECT = 125 // }
const CLOSE_ARRAY = 93 // ]
const QUOTE = 34 // "
const BACKSLASH = 92

/** True when `text` (JSON, possibly malformed) opens more than `max` arrays and objects at once. */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--
  }
  return false
}

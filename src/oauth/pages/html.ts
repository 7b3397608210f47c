// HTML built safely: the `html` tagged template escapes every interpolated value (HTML Living
// Standard §13.1.2.6 character references for text and quoted attribute values) unless the value is
// itself Html made by this module, so a page cannot be assembled from unescaped text by mistake.

/** A fragment of markup made by `html` (or `join`): the only thing inserted without escaping. */
export class Html {
  readonly #markup: string
  constructor(markup: string) {
    this.#markup = markup
  }
  toString(): string {
    return this.#markup
  }
}

/** A value a template may interpolate: text (escaped), Html, a list of them, or nothing. */
type Part = string | number | Html | null | undefined | false | readonly Part[]

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** `text` safe inside an element or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!)
}

function render(part: Part): string {
  if (part instanceof Html) return part.toString()
  if (Array.isArray(part)) return part.map(render).join('')
  if (part === null || part === undefined || part === false) return ''
  return escapeHtml(String(part))
}

/** Markup with every `${value}` escaped; null, undefined and false render as nothing. */
export function html(strings: TemplateStringsArray, ...values: readonly Part[]): Html {
  let out = strings[0]!
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!
  })
  return new Html(out)
}

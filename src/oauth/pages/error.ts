// The page shown when the authorization request cannot be answered to the app at all: an unknown
// client or a redirect_uri it has not registered, where RFC 6749 §4.1.2.1 forbids redirecting. It
// says what went wrong and sends the person nowhere (or, on the page of allowed apps, back to it).

import { html } from './html.ts'
import { layout } from './layout.ts'

/** A page with heading `title` and the explanation `message`, ending with a link `back` if given. */
export function errorPage(p: {
  title: string
  message: string
  back?: { href: string; text: string }
}): string {
  return layout(
    p.title,
    html`<p class="alert" role="alert">${p.message}</p>
      ${
        p.back
          ? html`<p><a href="${p.back.href}">${p.back.text}</a></p>`
          : html`<p>You can close this window and return to the app.</p>`
      }`
  )
}

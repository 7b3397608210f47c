// The page shown when the authorization request cannot be answered to the app at all: an unknown
// client or a redirect_uri it has not registered, where RFC 6749 §4.1.2.1 forbids redirecting. It
// says what went wrong and sends the person nowhere.

import { html } from './html.ts'
import { layout } from './layout.ts'

/** A page with heading `title` and the explanation `message`. */
export function errorPage(p: { title: string; message: string }): string {
  return layout(
    p.title,
    html`<p class="alert" role="alert">${p.message}</p>
      <p>You can close this window and return to the app.</p>`
  )
}

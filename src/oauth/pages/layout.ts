// The document every page shares: lang="en", a viewport for small screens, the one stylesheet, one
// <main> holding one <h1> (WCAG 2.2 SC 3.1.1, 1.3.1, 2.4.2, 1.4.10), and no script at all.

import { html, type Html } from './html.ts'

/** Where the stylesheet (style.ts) is served; the only thing the pages load. */
const STYLESHEET_PATH = '/auth/static/style.css'

/** A whole page: `title` is both the window title and the one heading; `body` follows the heading. */
export function layout(title: string, body: Html): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title}</title>
        <link rel="stylesheet" href="${STYLESHEET_PATH}" />
      </head>
      <body>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html> `.toString()
}

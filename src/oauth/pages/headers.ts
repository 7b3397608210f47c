// The answer every page of the authorization endpoint is sent in: HTML with the security headers of
// the issue 12 contract. The CSP allows no script at all and styles only from this origin (the one
// stylesheet); form-action is 'self' plus the app's origin when a form POST may end in a redirect to
// the app (Chrome applies form-action to redirects after a submission); the page can be framed by no
// one (CSP frame-ancestors, X-Frame-Options for old browsers: clickjacking, RFC 6749 §10.13); nothing
// is cached (the pages carry a request id and a person's data) and no referrer leaks (RFC 6749 §10.6).

export interface PageOptions {
  /** Origins a form POST on this page may redirect to, after 'self' (each an http(s) URL or origin). */
  readonly formActions?: readonly string[]
  /** More headers (a Location, say); the security headers above cannot be overridden with them. */
  readonly headers?: Record<string, string>
  /** `Set-Cookie` values, each sent as its own header. */
  readonly cookies?: readonly string[]
}

/** The page `html` with `status` and the contract's security headers. */
export function pageResponse(html: string, status: number, options: PageOptions = {}): Response {
  const headers = new Headers(options.headers)
  for (const cookie of options.cookies ?? []) headers.append('set-cookie', cookie)
  const formAction = ["'self'", ...new Set((options.formActions ?? []).map(origin))].join(' ')
  headers.set('content-type', 'text/html; charset=utf-8')
  headers.set(
    'content-security-policy',
    `default-src 'none'; style-src 'self'; img-src 'self'; form-action ${formAction}; ` +
      `frame-ancestors 'none'; base-uri 'none'`
  )
  headers.set('referrer-policy', 'no-referrer')
  headers.set('x-content-type-options', 'nosniff')
  headers.set('cache-control', 'no-store')
  headers.set('x-frame-options', 'DENY')
  return new Response(html, { status, headers })
}

/**
 * The origin of `url` as a CSP source expression. Anything else (not an http(s) URL) is a
 * programmer error and throws: a value copied into the header unchecked could add directives.
 */
function origin(url: string): string {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new Error(`form-action origin is not a URL: ${url}`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new Error(`form-action origin is not http(s): ${url}`)
  }
  return parsed.origin
}

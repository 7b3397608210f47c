// The sign-in page of the authorization endpoint (issue 12 contract, "Login page"): an ordinary form
// (text field, password field, submit) that password managers and tests recognise, posted to
// /auth/login with the pending request's id; the same form signs in on the page of allowed apps
// (/auth/grants/login, with a form token instead of a request). A failed sign-in never says whether the user exists
// (OWASP Authentication Cheat Sheet, "Authentication and error messages"); a throttled one says when
// to try again.

import { html, type Html } from './html.ts'
import { layout } from './layout.ts'

const ERROR_ID = 'login-error'

interface Attempt {
  username?: string
  error?: 'invalid' | 'limited'
  retryAfter?: number
}

/** The login page for the pending request `request` of the app `appName`. */
export function loginPage(p: { appName: string; request: string } & Attempt): string {
  return loginForm(
    html`<strong>${p.appName}</strong> wants to access your health records. Sign in to continue.`,
    '/auth/login',
    ['request', p.request],
    p
  )
}

/** The login page of the page of allowed apps (grants.ts), its form bound by the form token `token`. */
export function grantsLoginPage(p: { token: string } & Attempt): string {
  return loginForm(
    html`Sign in to see the apps you allowed to use your health records, and to revoke them.`,
    '/auth/grants/login',
    ['token', p.token],
    p
  )
}

/** The sign-in form: `intro`, then the fields, posted to `action` with one `hidden` field. */
function loginForm(
  intro: Html,
  action: string,
  hidden: readonly [name: string, value: string],
  p: Attempt
): string {
  const error = p.error ? errorText(p.error, p.retryAfter) : undefined
  const describedBy = error ? html` aria-describedby="${ERROR_ID}" aria-invalid="true"` : ''
  return layout(
    'Sign in',
    html`<p>${intro}</p>
      ${error ? html`<p id="${ERROR_ID}" class="alert" role="alert">${error}</p>` : ''}
      <form method="post" action="${action}">
        <input type="hidden" name="${hidden[0]}" value="${hidden[1]}" />
        <div class="field">
          <label for="username">Email or user name</label>
          <input
            id="username"
            name="username"
            type="text"
            autocomplete="username"
            required
            autocapitalize="none"
            spellcheck="false"
            value="${p.username ?? ''}"
            ${describedBy}
          />
        </div>
        <div class="field">
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="current-password"
            required${describedBy}
          />
        </div>
        <div class="actions">
          <button type="submit" class="primary">Sign in</button>
        </div>
      </form>`
  )
}

function errorText(error: 'invalid' | 'limited', retryAfter: number | undefined): string {
  if (error === 'invalid') return 'The email/user name or password is wrong.'
  if (retryAfter === undefined || !Number.isFinite(retryAfter) || retryAfter <= 0) {
    return 'Too many sign-in attempts. Try again later.'
  }
  const seconds = Math.ceil(retryAfter)
  return `Too many sign-in attempts. Try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`
}

// The page of the apps a person allowed (SMART App Launch 2 `management_endpoint`; ONC §170.315(g)(10)
// token revocation): one entry per live grant, with the app's name as a heading, what it may do in
// plain words (scope-words.ts), the patient, when it was allowed and when it ends, and a Revoke button
// (a POST form carrying the grant id and the session's form token). Then a sign-out form.

import { html, type Html } from './html.ts'
import { layout } from './layout.ts'
import { describeScope } from './scope-words.ts'

export interface GrantEntry {
  readonly grantId: string
  readonly appName: string
  readonly scopes: readonly string[]
  /** The patient's name (or record id), when the grant has one. */
  readonly patient?: string
  /** Epoch seconds. */
  readonly allowedAt: number
  readonly until: number
  /** The grant ends when the person signs out (online_access without offline_access). */
  readonly untilSignOut: boolean
}

const DATE = new Intl.DateTimeFormat('en-GB', {
  dateStyle: 'medium',
  timeStyle: 'short',
  timeZone: 'UTC',
})

/** The page of `userName`'s grants; `token`: the session's form token; `revoked`: one just was. */
export function grantsPage(p: {
  userName: string
  token: string
  grants: readonly GrantEntry[]
  revoked?: boolean
}): string {
  return layout(
    'Apps you allowed',
    html`<p>You are signed in as <strong>${p.userName}</strong>.</p>
      ${
        p.revoked
          ? html`<p class="notice" role="status">
              Access revoked. The app can no longer use your health records.
            </p>`
          : ''
      }
      ${
        p.grants.length
          ? html`<p>These apps may use your health records. Revoke an app to stop it at once.</p>
              <ul class="grants">
                ${p.grants.map((grant) => entry(grant, p.token))}
              </ul>`
          : html`<p class="notice">No app can use your health records.</p>`
      }
      <form method="post" action="/auth/logout">
        <p>Not ${p.userName}? <button type="submit" class="link-button">Sign out</button></p>
      </form>`
  )
}

function entry(grant: GrantEntry, token: string): Html {
  const titles = [...new Set(grant.scopes.map((scope) => describeScope(scope).title))]
  return html`<li class="grant">
    <h2>${grant.appName}</h2>
    <dl>
      ${
        grant.patient
          ? html`<dt>Patient</dt>
              <dd>${grant.patient}</dd>`
          : ''
      }
      <dt>Allowed</dt>
      <dd>${time(grant.allowedAt)}</dd>
      <dt>Ends</dt>
      <dd>${grant.untilSignOut ? 'When you sign out, at the latest ' : ''}${time(grant.until)}</dd>
    </dl>
    <p>It may:</p>
    <ul>
      ${titles.map((title) => html`<li>${title}</li>`)}
    </ul>
    <form method="post" action="/auth/grants/revoke">
      <input type="hidden" name="token" value="${token}" />
      <input type="hidden" name="grant" value="${grant.grantId}" />
      <button type="submit">Revoke<span class="visually-hidden"> ${grant.appName}</span></button>
    </form>
  </li>`
}

function time(seconds: number): Html {
  const date = new Date(seconds * 1000)
  return html`<time datetime="${date.toISOString()}">${DATE.format(date)} UTC</time>`
}

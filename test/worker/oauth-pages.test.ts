// The HTML pages of the authorization endpoint (SMART App Launch 2 "authorization code" steps, issue
// 12 contract "HTML forms" and "Security headers"): the exact form names, labels and actions the
// browser test drives, escaping of every interpolated value, accessibility structure (WCAG 2.2),
// no script and no inline style, the security headers of pageResponse, and the plain words of scopes.

import { describe, expect, it } from 'vitest'
import { consentPage, type PatientChoice } from '../../src/oauth/pages/consent.ts'
import { errorPage } from '../../src/oauth/pages/error.ts'
import { pageResponse } from '../../src/oauth/pages/headers.ts'
import { escapeHtml, html } from '../../src/oauth/pages/html.ts'
import { grantsPage, type GrantEntry } from '../../src/oauth/pages/grants.ts'
import { grantsLoginPage, loginPage } from '../../src/oauth/pages/login.ts'
import { describeScope } from '../../src/oauth/pages/scope-words.ts'
import { STYLESHEET } from '../../src/oauth/pages/style.ts'

interface Element {
  readonly tag: string
  /** Attribute values with character references decoded (what a browser would submit). */
  readonly attrs: Record<string, string>
  /** The decoded text inside the element, descendants included. */
  text: string
}

function decode(raw: string): string {
  return raw
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
}

/** The elements of `markup` that match `selector`, parsed by workerd's HTMLRewriter. */
async function select(markup: string, selector: string): Promise<Element[]> {
  const found: Element[] = []
  let open: Element | undefined
  await new HTMLRewriter()
    .on(selector, {
      element(e) {
        const attrs = Object.fromEntries([...e.attributes].map(([n, v]) => [n, decode(v)]))
        open = { tag: e.tagName, attrs, text: '' }
        found.push(open)
      },
      text(t) {
        if (open) open.text += t.text
      },
    })
    .transform(new Response(markup))
    .text()
  for (const el of found) el.text = decode(el.text).replace(/\s+/g, ' ').trim()
  return found
}

async function one(markup: string, selector: string): Promise<Element> {
  const found = await select(markup, selector)
  expect(found, selector).toHaveLength(1)
  return found[0]!
}

const HOSTILE = `<script>alert("x")</script> & 'quoted' "double"`
const REQUEST = 'req-123'
const PATIENTS: PatientChoice[] = [
  { id: 'p1', name: 'Amy Shaw', birthDate: '1987-02-20' },
  { id: 'p2', name: 'Ben Shaw' },
]

function login(p: Partial<Parameters<typeof loginPage>[0]> = {}): string {
  return loginPage({ appName: 'Growth Chart', request: REQUEST, ...p })
}

function consent(p: Partial<Parameters<typeof consentPage>[0]> = {}): string {
  return consentPage({
    appName: 'Growth Chart',
    request: REQUEST,
    userName: 'Dr Jones',
    scopes: ['openid', 'patient/Observation.rs'],
    ...p,
  })
}

const GRANT: GrantEntry = {
  grantId: '6f1c2b1e-0000-4000-8000-000000000001',
  appName: 'Growth Chart',
  scopes: ['openid', 'offline_access', 'patient/Observation.rs'],
  patient: 'Amy Shaw',
  allowedAt: 1_796_000_000,
  until: 1_798_592_000,
  untilSignOut: false,
}

function grants(p: Partial<Parameters<typeof grantsPage>[0]> = {}): string {
  return grantsPage({ userName: 'Amy Shaw', token: 'tok-123', grants: [GRANT], ...p })
}

const EVERY_PAGE: [string, string][] = [
  ['login', login()],
  ['login with an error', login({ error: 'invalid', username: 'amy' })],
  ['consent', consent({ patient: PATIENTS[0] })],
  ['consent with a picker', consent({ picker: { query: 'shaw', results: PATIENTS } })],
  ['consent with no results', consent({ picker: { query: 'zz', results: [] }, error: 'Pick' })],
  ['error', errorPage({ title: 'Unknown app', message: 'No such client.' })],
  [
    'error with a way back',
    errorPage({ title: 'No', message: 'No.', back: { href: '/x', text: 'Back' } }),
  ],
  ['grants login', grantsLoginPage({ token: 'tok-123', error: 'invalid', username: 'amy' })],
  ['grants', grants({ revoked: true })],
  ['grants, two apps', grants({ grants: [GRANT, { ...GRANT, grantId: 'g2', appName: 'Other' }] })],
  ['grants, none', grants({ grants: [] })],
]

describe('every page (WCAG 2.2; contract "Security headers": no script, no inline style)', () => {
  it.each(EVERY_PAGE)(
    '%s is one lang="en" document with a viewport, <main> and one <h1>',
    async (_, page) => {
      expect(page).toMatch(/^<!doctype html>\s*<html lang="en">/)
      expect((await one(page, 'meta[name="viewport"]')).attrs.content).toBe(
        'width=device-width, initial-scale=1'
      )
      expect((await one(page, 'link[rel="stylesheet"]')).attrs.href).toBe('/auth/static/style.css')
      await one(page, 'main')
      await one(page, 'main h1')
      expect((await one(page, 'title')).text).toBe((await one(page, 'h1')).text)
    }
  )

  it.each(EVERY_PAGE)(
    '%s has no script, no inline style or handler, no positive tabindex',
    (_, page) => {
      expect(page).not.toMatch(/<script/i)
      expect(page).not.toMatch(/\sstyle=/i)
      expect(page).not.toMatch(/\son[a-z]+=/i)
      expect(page).not.toMatch(/javascript:/i)
      expect(page).not.toMatch(/tabindex="[1-9]/)
    }
  )

  it.each(EVERY_PAGE)(
    '%s labels every field with <label for> and has unique ids',
    async (_, page) => {
      const ids = (await select(page, '[id]')).map((el) => el.attrs.id)
      expect(new Set(ids).size).toBe(ids.length)
      const labels = new Set((await select(page, 'label[for]')).map((el) => el.attrs.for))
      for (const input of await select(page, 'input:not([type="hidden"])')) {
        expect(labels.has(input.attrs.id!), JSON.stringify(input.attrs)).toBe(true)
      }
      for (const ref of await select(page, '[aria-describedby]')) {
        for (const id of ref.attrs['aria-describedby']!.split(' ')) expect(ids).toContain(id)
      }
    }
  )
})

describe('loginPage (contract "Login page")', () => {
  it('is an ordinary POST form to /auth/login with the request id, user name, password and Sign in', async () => {
    const page = login()
    expect((await one(page, 'form')).attrs).toMatchObject({ method: 'post', action: '/auth/login' })
    expect((await one(page, 'form input[type="hidden"]')).attrs).toEqual({
      type: 'hidden',
      name: 'request',
      value: REQUEST,
    })
    expect((await one(page, 'label[for="username"]')).text).toBe('Email or user name')
    expect((await one(page, 'form input#username')).attrs).toMatchObject({
      name: 'username',
      type: 'text',
      autocomplete: 'username',
      required: '',
    })
    expect((await one(page, 'label[for="password"]')).text).toBe('Password')
    const password = await one(page, 'form input#password')
    expect(password.attrs).toMatchObject({
      name: 'password',
      type: 'password',
      autocomplete: 'current-password',
      required: '',
    })
    expect(password.attrs.value).toBeUndefined()
    const button = await one(page, 'form button')
    expect(button.attrs.type).toBe('submit')
    expect(button.text).toBe('Sign in')
    expect(page).toContain('Growth Chart')
  })

  it('shows no alert and describes no field when there is no error', async () => {
    const page = login()
    expect(await select(page, '[role="alert"]')).toEqual([])
    expect(await select(page, '[aria-describedby]')).toEqual([])
  })

  it('says only that the user name or password is wrong, in an alert the fields reference (OWASP: no user enumeration)', async () => {
    const page = login({ error: 'invalid', username: 'amy@example.org' })
    const alert = await one(page, '[role="alert"]')
    expect(alert.text).toBe('The email/user name or password is wrong.')
    for (const field of ['#username', '#password']) {
      expect((await one(page, field)).attrs['aria-describedby']).toBe(alert.attrs.id)
    }
    expect((await one(page, '#username')).attrs.value).toBe('amy@example.org')
    expect((await one(page, '#password')).attrs.value).toBeUndefined()
    expect(alert.text).not.toMatch(/exist|unknown|not found|no such/i)
  })

  it.each([
    [30, 'Too many sign-in attempts. Try again in 30 seconds.'],
    [1, 'Too many sign-in attempts. Try again in 1 second.'],
    [2.2, 'Too many sign-in attempts. Try again in 3 seconds.'],
    [undefined, 'Too many sign-in attempts. Try again later.'],
  ])('a throttled sign-in (retryAfter %s) says when to try again', async (retryAfter, text) => {
    const alert = await one(login({ error: 'limited', retryAfter }), '[role="alert"]')
    expect(alert.text).toBe(text)
  })

  it('escapes the app name, request id and user name (<script>, quotes, ampersands)', async () => {
    const page = login({ appName: HOSTILE, request: HOSTILE, username: HOSTILE })
    expect(page).not.toContain('<script>')
    expect(page).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;quoted&#39;'
    )
    expect((await one(page, 'input[name="request"]')).attrs.value).toBe(HOSTILE)
    expect((await one(page, '#username')).attrs.value).toBe(HOSTILE)
    expect((await one(page, 'main p strong')).text).toBe(HOSTILE)
  })
})

describe('consentPage (contract "Consent page")', () => {
  it('posts to /auth/consent with the request id, a ticked checkbox per scope and Allow before Deny', async () => {
    const scopes = ['openid', 'fhirUser', 'launch/patient', 'patient/Observation.rs']
    const page = consent({ scopes })
    const form = (await select(page, 'form')).find((f) => f.attrs.action === '/auth/consent')!
    expect(form.attrs.method).toBe('post')
    expect((await one(page, 'form[action="/auth/consent"] input[type="hidden"]')).attrs).toEqual({
      type: 'hidden',
      name: 'request',
      value: REQUEST,
    })
    // The scopes' own boxes (ticked); the unticked category boxes under Observation are tested below.
    const boxes = await select(page, 'input[type="checkbox"][checked]')
    expect(boxes.map((b) => b.attrs.value)).toEqual(scopes)
    const labels = await select(page, 'label')
    for (const [i, box] of boxes.entries()) {
      expect(box.attrs).toMatchObject({ name: 'scope', checked: '' })
      const label = labels.find((l) => l.attrs.for === box.attrs.id)!
      expect(label.text).toContain(describeScope(scopes[i]!).title)
    }
    expect((await select(page, 'label code')).map((c) => c.text)).toEqual(scopes)
    const buttons = await select(page, 'form[action="/auth/consent"] button')
    expect(buttons.map((b) => [b.attrs.type, b.attrs.name, b.attrs.value, b.text])).toEqual([
      ['submit', 'decision', 'allow', 'Allow'],
      ['submit', 'decision', 'deny', 'Deny'],
    ])
    expect(buttons[0]!.attrs.class).toBe('primary')
    expect(buttons[0]!.attrs.disabled).toBeUndefined()
  })

  it('shows who is signed in and offers to sign out (POST /auth/logout)', async () => {
    const page = consent()
    expect((await select(page, 'main > p'))[0]!.text).toBe('You are signed in as Dr Jones.')
    const logout = (await select(page, 'form')).find((f) => f.attrs.action === '/auth/logout')!
    expect(logout.attrs.method).toBe('post')
    expect(logout.text).toContain('Sign out')
  })

  it('shows a patient fixed by the launch context, with no picker', async () => {
    const page = consent({ patient: PATIENTS[0] })
    expect((await select(page, 'main > p')).map((p) => p.text)).toContain(
      'Patient: Amy Shaw, born 1987-02-20'
    )
    expect(await select(page, 'input[type="radio"]')).toEqual([])
    expect(await select(page, 'form[method="get"]')).toEqual([])
  })

  it('offers the patient search as its own GET form (contract "Patient search")', async () => {
    const page = consent({ picker: { query: 'shaw & co', results: PATIENTS } })
    const search = await one(page, 'form[method="get"]')
    expect(search.attrs.action).toBe('/auth/consent')
    expect((await one(page, 'form[method="get"] input[type="hidden"]')).attrs).toMatchObject({
      name: 'request',
      value: REQUEST,
    })
    expect((await one(page, 'label[for="q"]')).text).toBe('Find a patient')
    expect((await one(page, 'form[method="get"] input#q')).attrs).toMatchObject({
      name: 'q',
      type: 'search',
      value: 'shaw & co',
    })
    const button = await one(page, 'form[method="get"] button')
    expect([button.attrs.type, button.text]).toEqual(['submit', 'Search'])
  })

  it('lists the results as radios in the consent form, the first checked, labelled by name and birth date', async () => {
    const page = consent({ picker: { query: 'shaw', results: PATIENTS } })
    const radios = await select(
      page,
      'form[action="/auth/consent"][method="post"] input[type="radio"]'
    )
    expect(radios.map((r) => [r.attrs.name, r.attrs.value, 'checked' in r.attrs])).toEqual([
      ['patient', 'p1', true],
      ['patient', 'p2', false],
    ])
    const labels = await select(page, 'label')
    expect(labels.find((l) => l.attrs.for === radios[0]!.attrs.id)!.text).toContain(
      'Amy Shaw, born 1987-02-20'
    )
    expect(labels.find((l) => l.attrs.for === radios[1]!.attrs.id)!.text).toContain('Ben Shaw')
  })

  it('checks the selected patient when it is among the results, else the first', async () => {
    const checked = async (selected: string) =>
      (
        await select(
          consent({ picker: { query: '', results: PATIENTS, selected } }),
          'input[checked][type="radio"]'
        )
      ).map((r) => r.attrs.value)
    expect(await checked('p2')).toEqual(['p2'])
    expect(await checked('gone')).toEqual(['p1'])
  })

  it('says clearly when no patient matches, and Allow cannot be pressed (Deny still can)', async () => {
    const page = consent({ picker: { query: 'zebra', results: [] } })
    expect((await one(page, '.notice')).text).toBe('No patients match “zebra”. Try another name.')
    expect(await select(page, 'input[type="radio"]')).toEqual([])
    expect((await one(page, 'button[value="allow"]')).attrs.disabled).toBe('')
    const deny = await one(page, 'button[value="deny"]')
    expect(deny.attrs.disabled).toBeUndefined()
    expect(deny.attrs.formnovalidate).toBe('')
    const empty = consent({ picker: { query: '', results: [] } })
    expect((await one(empty, '.notice')).text).toBe(
      'No patients to choose from. Search for a patient by name.'
    )
  })

  it('shows an error in an alert that the fields reference by aria-describedby', async () => {
    const page = consent({
      error: 'Choose a patient.',
      picker: { query: 'shaw', results: PATIENTS },
    })
    const alert = await one(page, '[role="alert"]')
    expect(alert.text).toBe('Choose a patient.')
    const fields = await select(page, 'input:not([type="hidden"])')
    // Two scopes (the ten category boxes of patient/Observation.rs besides), two radios, the search.
    expect(fields.length).toBe(15)
    for (const field of fields) {
      expect(field.attrs['aria-describedby']!.split(' ')).toContain(alert.attrs.id)
    }
  })

  it('escapes every value: app and user names, request id, scopes, patients, query, error', async () => {
    const hostilePatient = { id: HOSTILE, name: HOSTILE, birthDate: HOSTILE }
    const page = consentPage({
      appName: HOSTILE,
      request: HOSTILE,
      userName: HOSTILE,
      scopes: [HOSTILE, `patient/Observation.rs?code=${HOSTILE}`],
      patient: hostilePatient,
      picker: { query: HOSTILE, results: [hostilePatient], selected: HOSTILE },
      error: HOSTILE,
    })
    expect(page).not.toMatch(/<script/i)
    expect(page).not.toMatch(/"double"/)
    for (const input of await select(page, 'input[name="request"]')) {
      expect(input.attrs.value).toBe(HOSTILE)
    }
    expect((await select(page, 'input[type="checkbox"]'))[0]!.attrs.value).toBe(HOSTILE)
    expect((await one(page, 'input[type="radio"]')).attrs).toMatchObject({
      value: HOSTILE,
      checked: '',
    })
    expect((await one(page, '#q')).attrs.value).toBe(HOSTILE)
    expect((await one(page, '[role="alert"]')).text).toBe(HOSTILE)
    expect((await one(page, 'h1')).text).toBe(`Allow ${HOSTILE} to access your data?`)
  })
})

const OBS = 'http://terminology.hl7.org/CodeSystem/observation-category'
const COND = 'http://terminology.hl7.org/CodeSystem/condition-category'
const OBSERVATION_CATEGORIES = [
  [`${OBS}|laboratory`, 'Laboratory'],
  [`${OBS}|vital-signs`, 'Vital signs'],
  [`${OBS}|social-history`, 'Social history'],
  [`${OBS}|survey`, 'Surveys'],
  ['http://hl7.org/fhir/us/core/CodeSystem/us-core-category|sdoh', 'Social needs (SDOH)'],
  [`${OBS}|exam`, 'Exams'],
  [`${OBS}|imaging`, 'Imaging'],
  [`${OBS}|procedure`, 'Procedures'],
  [`${OBS}|therapy`, 'Therapy'],
  [`${OBS}|activity`, 'Activity'],
]
const CONDITION_CATEGORIES = [
  [`${COND}|problem-list-item`, 'Problem list'],
  [`${COND}|encounter-diagnosis`, 'Visit diagnoses'],
  ['http://hl7.org/fhir/us/core/CodeSystem/condition-category|health-concern', 'Health concerns'],
]

/** The category boxes under the scope box `scope-<i>`: [value, label, ticked]. */
async function categoryBoxes(page: string, i: number): Promise<[string, string, boolean][]> {
  const boxes = await select(page, `input[id^="scope-${i}-"]`)
  const labels = await select(page, 'label')
  return boxes.map((box) => {
    expect(box.attrs).toMatchObject({ type: 'checkbox', name: 'scope' })
    const label = labels.find((l) => l.attrs.for === box.attrs.id)!
    return [box.attrs.value!, label.text, 'checked' in box.attrs]
  })
}

describe('consentPage category choices (ONC (g)(10) "Granular Scope Selection")', () => {
  it('offers unticked category boxes of Observation and Condition in a fieldset under the scope', async () => {
    const scopes = [
      'openid',
      'patient/Observation.rs',
      'patient/Condition.rs',
      'patient/Patient.rs',
    ]
    const page = consent({ scopes })
    const groups = await select(page, 'form[action="/auth/consent"] fieldset fieldset.categories')
    expect(groups).toHaveLength(2)
    const legends = await select(page, 'fieldset.categories > legend')
    expect(legends.map((l) => l.text)).toEqual([
      'Only these categories Optional. If you tick categories, the app gets only those.',
      'Only these categories Optional. If you tick categories, the app gets only those.',
    ])
    // Each group sits in the choice of its scope, after the scope's own box.
    expect(await select(page, '.choice .categories input')).toHaveLength(13)
    expect(await categoryBoxes(page, 1)).toEqual(
      OBSERVATION_CATEGORIES.map(([c, label]) => [
        `patient/Observation.rs?category=${c}`,
        label,
        false,
      ])
    )
    expect(await categoryBoxes(page, 2)).toEqual(
      CONDITION_CATEGORIES.map(([c, label]) => [`patient/Condition.rs?category=${c}`, label, false])
    )
    expect(await categoryBoxes(page, 0)).toEqual([])
    expect(await categoryBoxes(page, 3)).toEqual([])
    // Ticked by default: only the scopes themselves.
    expect(
      (await select(page, 'input[checked][type="checkbox"]')).map((b) => b.attrs.value)
    ).toEqual(scopes)
  })

  it('narrows user/ scopes and v1 read scopes (as .rs), and nothing else', async () => {
    const page = consent({
      scopes: [
        'user/Condition.rs',
        'patient/Observation.read',
        'patient/Observation.r',
        'patient/Observation.cruds',
        'patient/Observation.write',
        `patient/Observation.rs?category=${OBS}|laboratory`,
        'system/Observation.rs',
        'patient/*.rs',
        'patient/Procedure.rs',
      ],
    })
    const values = async (i: number) => (await categoryBoxes(page, i)).map(([v]) => v)
    expect(await values(0)).toEqual(
      CONDITION_CATEGORIES.map(([c]) => `user/Condition.rs?category=${c}`)
    )
    expect(await values(1)).toEqual(
      OBSERVATION_CATEGORIES.map(([c]) => `patient/Observation.rs?category=${c}`)
    )
    expect(await values(2)).toEqual(
      OBSERVATION_CATEGORIES.map(([c]) => `patient/Observation.r?category=${c}`)
    )
    for (const i of [3, 4, 5, 6, 7, 8]) expect(await values(i)).toEqual([])
    expect(await select(page, 'fieldset.categories')).toHaveLength(3)
  })

  it('writes the category scopes as attribute values a browser submits unchanged, and escapes around them', async () => {
    const page = consentPage({
      appName: HOSTILE,
      request: HOSTILE,
      userName: HOSTILE,
      scopes: ['patient/Observation.rs', `patient/Observation.rs?code=${HOSTILE}`],
      error: HOSTILE,
    })
    expect(page).not.toMatch(/<script/i)
    expect(page).toContain(`value="patient/Observation.rs?category=${OBS}|laboratory"`)
    expect(await categoryBoxes(page, 1)).toEqual([])
    const boxes = await select(page, '.categories input')
    expect(boxes).toHaveLength(10)
    for (const box of boxes) {
      expect(box.attrs['aria-describedby']).toBe((await one(page, '[role="alert"]')).attrs.id)
    }
  })
})

describe('errorPage (RFC 6749 §4.1.2.1: unknown client or redirect_uri, no redirect)', () => {
  it('shows the title as the heading and the message as an alert, and links nowhere', async () => {
    const page = errorPage({ title: 'Unknown app', message: 'This app is not registered.' })
    expect((await one(page, 'h1')).text).toBe('Unknown app')
    expect((await one(page, '[role="alert"]')).text).toBe('This app is not registered.')
    expect(await select(page, 'a, form, meta[http-equiv]')).toEqual([])
  })

  it('escapes the title and message', async () => {
    const page = errorPage({ title: HOSTILE, message: HOSTILE })
    expect(page).not.toMatch(/<script/i)
    expect((await one(page, 'h1')).text).toBe(HOSTILE)
    expect((await one(page, '[role="alert"]')).text).toBe(HOSTILE)
  })
})

describe('html (HTML Living Standard §13.1: escaped text and attribute values)', () => {
  it('escapes interpolated text, lists and numbers, and inserts only its own Html as markup', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;'
    )
    const inner = html`<b>${'<i>'}</b>`
    expect(String(html`<p>${inner}${['<', 1, null, undefined, false]}</p>`)).toBe(
      '<p><b>&lt;i&gt;</b>&lt;1</p>'
    )
    // A string that looks like markup is still text.
    expect(String(html`${'<b>x</b>'}`)).toBe('&lt;b&gt;x&lt;/b&gt;')
  })
})

describe('pageResponse (contract "Security headers on every HTML page")', () => {
  it('sends HTML with the CSP, no referrer, no caching, nosniff and no framing', async () => {
    const res = pageResponse('<p>hi</p>', 200)
    expect(res.status).toBe(200)
    expect(await res.text()).toBe('<p>hi</p>')
    expect(Object.fromEntries(res.headers)).toEqual({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy':
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    })
  })

  it("appends the app's origin to form-action after 'self' (Chrome checks redirects after a POST)", () => {
    const res = pageResponse('', 400, {
      formActions: [
        'https://app.example/redirect?x=1',
        'https://app.example',
        'http://127.0.0.1:8080/cb',
      ],
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('content-security-policy')).toContain(
      "form-action 'self' https://app.example http://127.0.0.1:8080; frame-ancestors 'none'"
    )
  })

  it('refuses a form-action that is not an http(s) URL, so nothing can be injected into the CSP', () => {
    expect(() => pageResponse('', 200, { formActions: ["'self'; script-src *"] })).toThrow()
    expect(() => pageResponse('', 200, { formActions: ['javascript:alert(1)'] })).toThrow()
  })

  it('adds extra headers and cookies, but they cannot weaken the security headers', () => {
    const res = pageResponse('', 200, {
      headers: {
        'content-security-policy': 'default-src *',
        'x-extra': 'yes',
        'cache-control': 'max-age=60',
      },
      cookies: [
        '__Host-edge-fhir-browser=a; Path=/; Secure; HttpOnly; SameSite=Lax',
        '__Host-edge-fhir-session=b; Path=/; Secure; HttpOnly; SameSite=Lax',
      ],
    })
    expect(res.headers.get('x-extra')).toBe('yes')
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none';/)
    expect(res.headers.getSetCookie()).toHaveLength(2)
  })
})

describe('STYLESHEET (WCAG 2.2 SC 2.4.7 focus visible, 1.4.10 reflow)', () => {
  it('gives focus a visible outline, keeps layout fluid, and loads nothing else', () => {
    expect(STYLESHEET).toMatch(/:focus-visible\s*{\s*outline: 3px solid/)
    expect(STYLESHEET).toContain('max-width: 34rem')
    expect(STYLESHEET).not.toMatch(/@import|url\(|expression\(/)
    expect(STYLESHEET).not.toMatch(/outline:\s*(none|0)/)
  })
})

describe('describeScope (SMART App Launch 2 "Scopes and Launch Context")', () => {
  it.each([
    ['openid', 'Confirm who you are'],
    ['fhirUser', 'Know which record describes you'],
    ['profile', 'See your profile'],
    ['launch', 'Use the context it was launched in'],
    ['launch/patient', 'Know which patient it is used for'],
    ['launch/encounter', 'Know which encounter it is used for'],
    ['offline_access', 'Keep access when you are not using it'],
    ['online_access', 'Keep access while you are signed in'],
    ['patient/Observation.rs', "Read and search this patient's observations"],
    ['patient/Observation.read', "Read and search this patient's observations"],
    ['patient/AllergyIntolerance.r', "Read this patient's allergy intolerances"],
    ['patient/Patient.r', "Read this patient's demographics"],
    ['patient/*.rs', "Read and search all of this patient's records"],
    ['patient/*.cruds', "Create, read, update, delete and search all of this patient's records"],
    ['patient/*.*', "Create, read, update, delete and search all of this patient's records"],
    [
      'patient/MedicationRequest.write',
      "Create, update and delete this patient's medication requests",
    ],
    ['patient/ImagingStudy.s', "Search this patient's imaging studies"],
    ['patient/EpisodeOfCare.rs', "Read and search this patient's episodes of care"],
    ['user/*.rs', 'Read and search everything you can access'],
    ['user/Encounter.cu', 'Create and update the encounters you can access'],
    ['user/DiagnosticReport.d', 'Delete the diagnostic reports you can access'],
    ['system/Patient.rs', 'Read and search all patients on this server'],
    ['system/*.*', 'Create, read, update, delete and search every record on this server'],
    [
      'patient/Observation.rs?category=laboratory',
      "Read and search this patient's observations (only category laboratory)",
    ],
    [
      'patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs',
      "Read and search this patient's observations (only category vital-signs)",
    ],
    [
      'user/Condition.rs?clinical-status=active,recurrence&category=problem-list-item',
      'Read and search the conditions you can access (only category problem-list-item and clinical status active or recurrence)',
    ],
    ['patient/Observation.sr', 'patient/Observation.sr'],
    ['patient/Observation.cu?category=laboratory', 'patient/Observation.cu?category=laboratory'],
    ['launch/other', 'launch/other'],
    ['something', 'something'],
  ])('%s -> %s', (scope, title) => {
    expect(describeScope(scope).title).toBe(title)
  })

  it('explains whose records a resource scope reaches; unknown scopes get no detail', () => {
    expect(describeScope('patient/Observation.rs').detail).toMatch(
      /^Only records about the patient/
    )
    expect(describeScope('user/*.rs').detail).toMatch(/many patients/)
    expect(describeScope('system/*.rs').detail).toMatch(/every patient and user/)
    expect(describeScope('openid').detail).toBeDefined()
    expect(describeScope('nonsense').detail).toBeUndefined()
  })
})

describe('grantsPage and its login (SMART management_endpoint)', () => {
  it('the login form posts to /auth/grants/login with the form token, the same fields', async () => {
    const page = grantsLoginPage({ token: 'tok-123' })
    expect((await one(page, 'form')).attrs).toMatchObject({
      method: 'post',
      action: '/auth/grants/login',
    })
    expect((await one(page, 'form input[type="hidden"]')).attrs).toEqual({
      type: 'hidden',
      name: 'token',
      value: 'tok-123',
    })
    await one(page, 'form input#username[name="username"]')
    await one(page, 'form input#password[name="password"]')
  })

  it('one entry per grant: a heading, the dates in <time>, a Revoke button named with the app', async () => {
    const page = grants()
    expect((await one(page, '.grant h2')).text).toBe('Growth Chart')
    const times = await select(page, 'dd time')
    expect(times.map((t) => t.attrs.datetime)).toEqual([
      new Date(GRANT.allowedAt * 1000).toISOString(),
      new Date(GRANT.until * 1000).toISOString(),
    ])
    expect((await one(page, '.grant form')).attrs).toMatchObject({
      method: 'post',
      action: '/auth/grants/revoke',
    })
    const hidden = await select(page, '.grant form input[type="hidden"]')
    expect(hidden.map((h) => [h.attrs.name, h.attrs.value])).toEqual([
      ['token', 'tok-123'],
      ['grant', GRANT.grantId],
    ])
    expect((await one(page, '.grant button')).text.replace(/\s+/g, ' ').trim()).toBe(
      'Revoke Growth Chart'
    )
    expect(page).toContain('Read and search this patient&#39;s observations')
  })

  it('escapes the app name, the patient, the user name and the grant id', async () => {
    const page = grants({
      userName: HOSTILE,
      grants: [{ ...GRANT, appName: HOSTILE, patient: HOSTILE, grantId: HOSTILE }],
    })
    expect(page).not.toContain('<script>')
    expect((await one(page, 'input[name="grant"]')).attrs.value).toBe(HOSTILE)
    expect((await one(page, '.grant h2')).text).toBe(HOSTILE)
  })
})

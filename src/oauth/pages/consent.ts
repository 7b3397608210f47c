// The consent page of the authorization endpoint (issue 12 contract, "Consent page"): the requested
// scopes in plain words, each a checkbox ticked by default that the person may untick (SMART App
// Launch 2 lets the user grant fewer scopes than asked), the patient the access is for (fixed by the
// launch, or picked here with a GET search form and radios), then Allow (primary) and Deny. Under a
// read scope of Observation or Condition, an optional group of unticked category boxes lets the
// person narrow it (ONC (g)(10) "Granular Scope Selection"): ticking any of them grants only those
// categories instead of the whole scope (oauth/app-scope.ts `chosenScopes`). Forms cannot nest, so
// the patient search is its own form before the decision form.

import { html, type Html } from './html.ts'
import { layout } from './layout.ts'
import { categoryChoices } from './scope-categories.ts'
import { describeScope } from './scope-words.ts'

export interface PatientChoice {
  id: string
  name: string
  birthDate?: string
}

const ERROR_ID = 'consent-error'

/** The consent page of `userName` for the pending request `request` of the app `appName`. */
export function consentPage(p: {
  appName: string
  request: string
  userName: string
  scopes: readonly string[]
  /** The patient fixed by the launch context: shown, not chosen. */
  patient?: PatientChoice
  /** The patient picker: the search `query` and its `results`, `selected` (else the first) checked. */
  picker?: { query: string; results: readonly PatientChoice[]; selected?: string }
  error?: string
}): string {
  const described = p.error ? html` aria-describedby="${ERROR_ID}"` : ''
  const noPatients = p.picker !== undefined && p.picker.results.length === 0
  return layout(
    `Allow ${p.appName} to access your data?`,
    html`<p>You are signed in as <strong>${p.userName}</strong>.</p>
      ${p.error ? html`<p id="${ERROR_ID}" class="alert" role="alert">${p.error}</p>` : ''}
      ${p.patient ? html`<p>Patient: <strong>${p.patient.name}</strong>${born(p.patient)}</p>` : ''}
      ${p.picker ? searchForm(p.request, p.picker.query, p.error !== undefined) : ''}
      <form method="post" action="/auth/consent">
        <input type="hidden" name="request" value="${p.request}" />
        ${p.picker ? patientChoices(p.picker, described) : ''}
        <fieldset>
          <legend>${p.appName} asks to:</legend>
          ${p.scopes.map((scope, i) => scopeChoice(scope, i, p.error !== undefined))}
        </fieldset>
        <div class="actions">
          <button
            type="submit"
            name="decision"
            value="allow"
            class="primary"
            ${noPatients ? html` disabled` : ''}
          >
            Allow
          </button>
          <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
        </div>
      </form>
      <form method="post" action="/auth/logout">
        <input type="hidden" name="request" value="${p.request}" />
        <p>Not ${p.userName}? <button type="submit" class="link-button">Sign out</button></p>
      </form>`
  )
}

function born(patient: PatientChoice): Html | '' {
  return patient.birthDate ? html`, born ${patient.birthDate}` : ''
}

/** The GET search form of the picker: it reloads this page with `q`. */
function searchForm(request: string, query: string, error: boolean): Html {
  return html`<form method="get" action="/auth/consent" class="search">
    <input type="hidden" name="request" value="${request}" />
    <div class="field">
      <label for="q">Find a patient</label>
      <input
        id="q"
        name="q"
        type="search"
        value="${query}"
        ${error ? html` aria-describedby="${ERROR_ID}"` : ''}
      />
    </div>
    <button type="submit">Search</button>
  </form>`
}

/** One radio per result, `selected` or the first checked; a message when there is none. */
function patientChoices(
  picker: { query: string; results: readonly PatientChoice[]; selected?: string },
  described: Html | ''
): Html {
  if (picker.results.length === 0) {
    const message =
      picker.query.trim() === ''
        ? 'No patients to choose from. Search for a patient by name.'
        : html`No patients match “${picker.query}”. Try another name.`
    return html`<p class="notice" role="status">${message}</p>`
  }
  const checked = picker.results.some((r) => r.id === picker.selected)
    ? picker.selected
    : picker.results[0]!.id
  return html`<fieldset>
    <legend>Choose the patient</legend>
    ${picker.results.map(
      (patient, i) =>
        html`<div class="choice">
          <input
            type="radio"
            name="patient"
            value="${patient.id}"
            id="patient-${i}"
            required${patient.id === checked ? html` checked` : ''}${described}
          />
          <label for="patient-${i}"
            ><span class="choice-title">${patient.name}${born(patient)}</span
            ><span class="hint">Record ${patient.id}</span></label
          >
        </div>`
    )}
  </fieldset>`
}

/**
 * A checkbox for `scope`, ticked, labelled in plain words with the scope itself in <code>; under it,
 * the scope's category choices, if it has any.
 */
function scopeChoice(scope: string, i: number, error: boolean): Html {
  const words = describeScope(scope)
  const id = `scope-${i}`
  const detailId = `${id}-detail`
  const describedBy = [error ? ERROR_ID : '', words.detail ? detailId : ''].filter(Boolean)
  return html`<div class="choice">
    <input
      type="checkbox"
      name="scope"
      value="${scope}"
      checked
      id="${id}"
      ${describedBy.length ? html` aria-describedby="${describedBy.join(' ')}"` : ''}
    />
    <div>
      <label for="${id}"
        ><span class="choice-title">${words.title}</span><code>${scope}</code></label
      >
      ${words.detail ? html`<span class="hint" id="${detailId}">${words.detail}</span>` : ''}
      ${categoryGroup(scope, id, error)}
    </div>
  </div>`
}

/** The optional, unticked category boxes that narrow `scope` (nothing for a scope without them). */
function categoryGroup(scope: string, id: string, error: boolean): Html | '' {
  const choices = categoryChoices(scope)
  if (!choices.length) return ''
  return html`<fieldset class="categories">
    <legend>
      Only these categories
      <span class="hint">Optional. If you tick categories, the app gets only those.</span>
    </legend>
    <div class="category-list">
      ${choices.map(
        (choice, j) =>
          html`<div class="choice">
            <input
              type="checkbox"
              name="scope"
              value="${choice.scope}"
              id="${id}-${j}"
              ${error ? html` aria-describedby="${ERROR_ID}"` : ''}
            />
            <label for="${id}-${j}">${choice.label}</label>
          </div>`
      )}
    </div>
  </fieldset>`
}

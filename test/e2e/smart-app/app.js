// A small SMART on FHIR app driven by fhirclient (the `FHIR` global of its browser build, unmodified)
// and configured by config.js (`SMART_APP`, written by the test's server). launch.html starts the
// authorization (standalone: ?iss=...; EHR launch: ?iss=...&launch=...) as a confidential client with
// PKCE S256; index.html is the redirect URI: it completes it and shows the patient's HbA1c results.
/* global FHIR, SMART_APP */

function showError(error) {
  const main = document.querySelector('main')
  const alert = document.createElement('p')
  alert.setAttribute('role', 'alert')
  alert.textContent = String((error && error.message) || error)
  main.querySelector('[role="status"]')?.remove()
  main.append(alert)
  main.dataset.state = 'error'
  console.error(error)
}

// Standalone launch asks for `launch/patient` (pick a patient); an EHR launch for `launch`.
function launch() {
  const params = new URLSearchParams(location.search)
  const ehr = params.has('launch')
  FHIR.oauth2
    .authorize({
      clientId: SMART_APP.clientId,
      clientSecret: SMART_APP.clientSecret,
      scope: `${ehr ? 'launch' : 'launch/patient'} ${SMART_APP.scope}`,
      redirectUri: 'index.html',
      iss: params.get('iss') || undefined,
      launch: params.get('launch') || undefined,
      pkceMode: 'required',
    })
    .catch(showError)
}

function item(parent, tag, text) {
  const element = document.createElement(tag)
  element.textContent = text
  parent.append(element)
  return element
}

function field(list, id, label, value) {
  item(list, 'dt', label).id = id
  item(list, 'dd', value).setAttribute('aria-labelledby', id)
}

function humanName(patient) {
  const name = (patient.name || [])[0] || {}
  return name.text || [...(name.given || []), name.family].filter(Boolean).join(' ')
}

async function show() {
  try {
    const client = await FHIR.oauth2.ready()
    const patient = await client.patient.read()
    const code = encodeURIComponent('http://loinc.org|4548-4')
    const bundle = await client.request(`Observation?patient=${client.patient.id}&code=${code}`)
    const observations = (bundle.entry || [])
      .map((entry) => entry.resource)
      .sort((a, b) => String(a.effectiveDateTime).localeCompare(String(b.effectiveDateTime)))

    const main = document.querySelector('main')
    main.querySelector('[role="status"]').remove()
    item(main, 'h2', humanName(patient))
    const list = item(main, 'ul', '')
    list.setAttribute('aria-label', 'HbA1c results')
    for (const observation of observations) {
      const quantity = observation.valueQuantity || {}
      item(list, 'li', `${quantity.value} ${quantity.unit || quantity.code || ''}`.trim())
    }
    const token = client.state.tokenResponse || {}
    const facts = item(main, 'dl', '')
    field(facts, 'scope', 'Granted scope', token.scope || '')
    field(facts, 'fhir-user', 'fhirUser', client.getFhirUser() || '')
    field(facts, 'refresh', 'Refresh token', token.refresh_token ? 'yes' : 'no')
    main.dataset.state = 'ready'
  } catch (error) {
    showError(error)
  }
}

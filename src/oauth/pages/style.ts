// The pages' one stylesheet, served at /auth/static/style.css under `style-src 'self'` (so no inline
// styles anywhere): readable system fonts, fluid down to 360 px, WCAG 2.2 AA contrast (text 4.5:1,
// controls 3:1), a visible focus outline on every control (SC 2.4.7, 2.4.11), 44 px targets (SC 2.5.8).

export const STYLESHEET = `:root {
  color-scheme: light;
  --text: #1b1b1f;
  --muted: #4a4a55;
  --line: #767680;
  --surface: #ffffff;
  --panel: #f4f4f7;
  --primary: #0b57d0;
  --primary-text: #ffffff;
  --error: #b3261e;
  --error-bg: #fdecea;
  --focus: #0b57d0;
}
*,
*::before,
*::after {
  box-sizing: border-box;
}
html {
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  font-size: 100%;
  line-height: 1.5;
  color: var(--text);
  background: var(--panel);
  -webkit-text-size-adjust: 100%;
  text-size-adjust: 100%;
}
body {
  margin: 0;
  padding: 1rem;
}
main {
  max-width: 34rem;
  margin: 0 auto;
  padding: clamp(1rem, 4vw, 2rem);
  background: var(--surface);
  border: 1px solid #d0d0d8;
  border-radius: 0.5rem;
}
h1 {
  font-size: clamp(1.375rem, 5vw, 1.75rem);
  line-height: 1.25;
  margin: 0 0 1rem;
}
h2 {
  font-size: 1.125rem;
  margin: 1.5rem 0 0.5rem;
}
p {
  margin: 0 0 1rem;
}
form {
  margin: 0 0 1rem;
}
.field {
  margin: 0 0 1rem;
}
label {
  display: block;
  font-weight: 600;
}
input[type='text'],
input[type='password'],
input[type='search'] {
  display: block;
  width: 100%;
  min-height: 2.75rem;
  margin-top: 0.25rem;
  padding: 0.5rem 0.75rem;
  font: inherit;
  color: var(--text);
  background: var(--surface);
  border: 1px solid var(--line);
  border-radius: 0.25rem;
}
input[aria-invalid='true'] {
  border-color: var(--error);
  border-width: 2px;
}
fieldset {
  margin: 0 0 1rem;
  padding: 0;
  border: 0;
  min-width: 0;
}
legend {
  font-weight: 600;
  padding: 0;
  margin-bottom: 0.5rem;
}
.choice {
  display: flex;
  gap: 0.75rem;
  align-items: flex-start;
  padding: 0.5rem 0;
  border-top: 1px solid #e2e2e8;
}
.choice input {
  flex: none;
  width: 1.5rem;
  height: 1.5rem;
  margin: 0.125rem 0 0;
  accent-color: var(--primary);
}
.choice > div {
  min-width: 0;
}
.choice label {
  font-weight: 400;
}
.choice-title {
  display: block;
  font-weight: 600;
}
.categories {
  margin: 0.5rem 0 0;
  padding: 0 0 0 0.75rem;
  border-left: 2px solid #e2e2e8;
}
.categories legend {
  margin-bottom: 0.25rem;
}
.categories legend .hint {
  font-weight: 400;
}
.category-list {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr));
  column-gap: 0.75rem;
}
.category-list .choice {
  align-items: center;
  padding: 0.25rem 0;
  border-top: 0;
}
.category-list .choice input {
  margin: 0;
}
.category-list label {
  flex: 1;
  min-width: 0;
}
.hint {
  display: block;
  color: var(--muted);
  font-size: 0.9375rem;
}
code {
  font-family: ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace;
  font-size: 0.875rem;
  overflow-wrap: anywhere;
  color: var(--muted);
}
.search {
  display: flex;
  flex-wrap: wrap;
  gap: 0.5rem;
  align-items: flex-end;
}
.search .field {
  flex: 1 1 12rem;
  margin: 0;
}
button {
  min-height: 2.75rem;
  min-width: 2.75rem;
  padding: 0.5rem 1.25rem;
  font: inherit;
  font-weight: 600;
  color: var(--primary);
  background: var(--surface);
  border: 2px solid var(--primary);
  border-radius: 0.25rem;
  cursor: pointer;
}
button.primary {
  color: var(--primary-text);
  background: var(--primary);
}
button:disabled {
  color: var(--muted);
  background: var(--panel);
  border-color: var(--line);
  cursor: not-allowed;
}
.actions {
  display: flex;
  flex-wrap: wrap;
  gap: 0.75rem;
  margin-top: 1.5rem;
}
.actions button {
  flex: 1 1 8rem;
}
.link-button {
  min-height: 2.75rem;
  padding: 0.5rem 0;
  color: var(--primary);
  background: none;
  border: 0;
  text-decoration: underline;
}
a {
  color: var(--primary);
}
:focus-visible {
  outline: 3px solid var(--focus);
  outline-offset: 2px;
}
.alert {
  padding: 0.75rem 1rem;
  color: var(--error);
  background: var(--error-bg);
  border-left: 4px solid var(--error);
  border-radius: 0.25rem;
  font-weight: 600;
}
.grants {
  margin: 0 0 1rem;
  padding: 0;
  list-style: none;
}
.grant {
  padding: 1rem 0;
  border-top: 1px solid #e2e2e8;
}
.grant h2 {
  margin-top: 0;
  overflow-wrap: anywhere;
}
.grant ul {
  margin: 0 0 1rem;
  padding-left: 1.25rem;
}
dl {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 0.25rem 1rem;
  margin: 0 0 1rem;
}
dt {
  font-weight: 600;
}
dd {
  margin: 0;
  min-width: 0;
  overflow-wrap: anywhere;
}
.visually-hidden {
  position: absolute;
  width: 1px;
  height: 1px;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
}
.notice {
  padding: 0.75rem 1rem;
  background: var(--panel);
  border-radius: 0.25rem;
}
@media (forced-colors: active) {
  :focus-visible {
    outline-color: Highlight;
  }
  button.primary {
    border-color: ButtonText;
  }
}
`

// Worker entry point: the Hono app is the module's fetch handler.

import { buildApp } from './app.ts'

export default buildApp()

// Prints the stored form of a Client secret, for writing Clients straight into KV:
//   npm run hash-secret -- <secret>
// Output: pbkdf2-sha256$100000$<salt>$<key>. Put it in the Client's "secret" field.

import { hashSecret } from '../src/lib/secrets.ts'

const secret = process.argv[2]
if (!secret) {
  console.error('usage: npm run hash-secret -- <secret>')
  process.exit(2)
}
console.log(await hashSecret(secret))

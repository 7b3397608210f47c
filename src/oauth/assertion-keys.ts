// The keys a client assertion is checked with (RFC 7515 §4.1.4, RFC 7517 §4): the Client's
// registered public keys that fit the assertion's header (the key type of its alg, P-384 for ES384,
// its kid if it names one, the key's own alg and use if it states them). When none fits, or the
// Client is unknown or may not use private_key_jwt, a fixed key of the same type that nobody holds
// the private half of: every refusal then costs one signature check, so neither the answer nor its
// timing tells whether the client exists or which keys it registered.

import { importJWK, type CryptoKey, type JWK } from 'jose'
import type { ASSERTION_ALGS } from '../config/client-oauth.ts'

type AssertionAlg = (typeof ASSERTION_ALGS)[number]

const KEY_TYPE: Record<AssertionAlg, string> = { RS384: 'RSA', ES384: 'EC' }

/** Public keys generated for this purpose and thrown away (no private half exists anywhere). */
const NOBODY: Record<AssertionAlg, JWK> = {
  RS384: {
    kty: 'RSA',
    e: 'AQAB',
    n:
      'vphDZoAMeq71SJijmTvGSBnT9pKfdWykYbiHer3vgdnDasvO611nigPW0joDu4PNi8OH1U4ciw8C9fOd-3K2wkpgOaNsy3g' +
      'AQ1bN22slZaK0aMwPkwIsThaLFUsfwwaV7YErfdsvki3TKv-v_7m-Ks5Woy_-cSq0Kx2jKTUHOCrvvnk4VsoUyEO0-q7CO_8' +
      'VyTatFykS75kidX0xUABPLKlayKSC_rK7W-KibcUDtvZzIq0i20EKoqtqGg966RFEflCXU2tcp70Swbgo0dScDfJbweT89Q0x' +
      'M_xjOkFJhRGru-dGQNeO1uA9-bxclYu61vfwFlZ5y0V5AdvHY-XDtQ',
  },
  ES384: {
    kty: 'EC',
    crv: 'P-384',
    x: 'vyxeiyRXU0fNTKcBBQGdiWoD9Y1ZokCTa43J-L5giZcLcPj9Rgm7CEJOA5Au2XFq',
    y: 'fBH3r1y6C2dynox-Km8KVVRG6VwJ0SIG_I61-0FRmVGdfliUOlzDloG2AcJEb-1g',
  },
}

/**
 * The keys to try, in order, for an assertion signed `alg` naming `kid` (if any), from `registered`
 * (undefined: the Client is unknown or unusable). Never empty.
 */
export async function assertionKeys(
  registered: readonly Record<string, unknown>[] | undefined,
  alg: AssertionAlg,
  kid: string | undefined
): Promise<CryptoKey[]> {
  const fitting = (registered ?? []).filter(
    (key) =>
      key.kty === KEY_TYPE[alg] &&
      (alg !== 'ES384' || key.crv === 'P-384') &&
      (kid === undefined || key.kid === kid) &&
      (key.alg === undefined || key.alg === alg) &&
      (key.use === undefined || key.use === 'sig')
  )
  const keys: CryptoKey[] = []
  for (const jwk of fitting) {
    try {
      keys.push((await importJWK({ ...(jwk as JWK), alg }, alg)) as CryptoKey)
    } catch {
      // A stored key that does not import (written into KV by hand) verifies nothing.
    }
  }
  return keys.length ? keys : [(await importJWK(NOBODY[alg], alg)) as CryptoKey]
}

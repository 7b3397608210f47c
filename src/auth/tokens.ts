// Access tokens: issuing one (a JWT signed with the server's key, or an opaque random string stored
// hashed) and checking one a request carries. A JWT is checked without D1 (signature, `typ`, issuer,
// audience, expiry), once per isolate; an opaque token is looked up once per isolate. Either is then
// remembered until it expires. Either way revocation is checked on every request by the token guard (token-guard.ts),
// inside the request's own D1 round trips. Claims follow RFC 9068: iss, sub and client_id (the
// client, or the User the token acts for), aud (the FHIR base, which is also the issuer), exp, iat, jti, scope.

import { errors, jwtVerify, SignJWT, type JWTPayload } from 'jose'
import { randomBytes, toBase64Url } from '../lib/crypto.ts'
import type { TokenGrant } from '../config/principal.ts'
import { parseResourceScope, splitScope, type ResourceScope } from '../config/scopes.ts'
import { signingKeys, TOKEN_ALG, type SigningKeys } from './signing-keys.ts'
import { liveToken, opaqueHash, recordToken } from './token-store.ts'

/** RFC 9068 §2.1: the `typ` of a JWT access token, so no other JWT of ours passes for one. */
const ACCESS_TOKEN_TYP = 'at+jwt'
/** Seconds of clock difference tolerated when checking `exp` (the issuer is this server). */
const CLOCK_TOLERANCE = 5

export interface IssueRequest {
  clientId: string
  /** The User the token acts for (authorization code grant): its `sub`; absent, `sub` is the client. */
  user?: string
  /** The authorization grant the token belongs to (authorization code grant). */
  grantId?: string
  /** Claims beyond RFC 9068's (SMART: `fhirUser`). */
  extraClaims?: Record<string, string>
  /** Launch context the token is bound to (`patient` and `encounter` claims, bare ids). */
  context?: { patient?: string; encounter?: string }
  /** The granted scope, space-separated. */
  scope: string
  format: 'jwt' | 'opaque'
  /** Lifetime in seconds. */
  lifetime: number
  /** This server's issuer (the FHIR base, src/http/oauth-urls.ts): also the audience. */
  issuer: string
}

export interface IssuedToken {
  accessToken: string
  jti: string
  expiresIn: number
  claims: Record<string, unknown>
}

export class SigningKeyMissing extends Error {
  constructor() {
    super('TOKEN_SIGNING_KEYS is not set: JWTs (access tokens, id_tokens) cannot be issued')
  }
}

/**
 * Issues an access token and records it in D1 (JWT by jti, opaque by its hash), in one batch after
 * `before` (the grant's own statements: a failing one means no token).
 */
export async function issueAccessToken(
  env: Env,
  request: IssueRequest,
  before: readonly D1PreparedStatement[] = []
): Promise<IssuedToken> {
  const iat = Math.floor(Date.now() / 1000)
  const exp = iat + request.lifetime
  const jti = crypto.randomUUID()
  const claims: Record<string, unknown> = {
    ...request.extraClaims,
    iss: request.issuer,
    sub: request.user ?? request.clientId,
    client_id: request.clientId,
    aud: request.issuer,
    iat,
    exp,
    jti,
    scope: request.scope,
  }
  if (request.context?.patient) claims.patient = request.context.patient
  if (request.context?.encounter) claims.encounter = request.context.encounter
  let accessToken: string
  let tokenHash: string | null = null
  if (request.format === 'jwt') {
    const keys = await signingKeys(env)
    if (!keys) throw new SigningKeyMissing()
    accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: TOKEN_ALG, kid: keys.current.kid, typ: ACCESS_TOKEN_TYP })
      .sign(keys.current.key)
  } else {
    accessToken = toBase64Url(randomBytes(32))
    tokenHash = await opaqueHash(accessToken)
  }
  await recordToken(
    env.DB,
    {
      jti,
      clientId: request.clientId,
      userId: request.user ?? null,
      grantId: request.grantId ?? null,
      format: request.format,
      tokenHash,
      scope: request.scope,
      claims,
      issuedAt: iat,
      expiresAt: exp,
    },
    before
  )
  return { accessToken, jti, expiresIn: request.lifetime, claims }
}

/** Looks like a JWS compact serialisation (three base64url parts). */
export const isJwtForm = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token)

/**
 * The grant a bearer token carries, or null when it is not one of ours, is malformed, expired, or (for
 * an opaque token) unknown or revoked. `issuer` is this server's issuer (the FHIR base). Revocation of a JWT
 * is not checked here (the token guard does it in the request's own round trip).
 */
export async function checkAccessToken(
  env: Env,
  token: string,
  issuer: string
): Promise<TokenGrant | null> {
  return isJwtForm(token) ? checkJwt(env, token, issuer) : checkOpaque(env, token)
}

// JWTs this isolate has verified: issuer and token text -> grant, until the token expires, for as long
// as the signing keys stay the same (a key taken out of TOKEN_SIGNING_KEYS stops its tokens at once).
// A hit skips the RSA verification; revocation is still checked on every request by the token guard.
const verifiedJwts = new Map<string, TokenGrant>()
let verifiedWith: SigningKeys | undefined
const MAX_VERIFIED_JWTS = 1000

async function checkJwt(env: Env, token: string, issuer: string): Promise<TokenGrant | null> {
  const keys = await signingKeys(env)
  if (!keys) return null
  if (verifiedWith !== keys) {
    verifiedJwts.clear()
    verifiedWith = keys
  }
  const cacheKey = `${issuer}\n${token}`
  const hit = verifiedJwts.get(cacheKey)
  if (hit && hit.exp > Math.floor(Date.now() / 1000)) return hit
  const grant = await verifyJwt(keys, token, issuer)
  if (grant) {
    if (verifiedJwts.size >= MAX_VERIFIED_JWTS)
      verifiedJwts.delete(verifiedJwts.keys().next().value!)
    verifiedJwts.set(cacheKey, grant)
  }
  return grant
}

async function verifyJwt(
  keys: SigningKeys,
  token: string,
  issuer: string
): Promise<TokenGrant | null> {
  let payload: JWTPayload
  try {
    ;({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keys.byKid.get(header.kid)
        if (!key) throw new errors.JWKSNoMatchingKey()
        return key
      },
      {
        algorithms: [TOKEN_ALG],
        typ: ACCESS_TOKEN_TYP,
        issuer,
        audience: issuer,
        clockTolerance: CLOCK_TOLERANCE,
        requiredClaims: ['sub', 'client_id', 'exp', 'iat', 'jti', 'scope'],
      }
    ))
  } catch (err) {
    if (err instanceof errors.JOSEError) return null
    throw err
  }
  const { jti, exp } = payload
  if (typeof jti !== 'string') return null
  return grantOf('jwt', jti, payload as Record<string, unknown>, exp!)
}

// Opaque tokens this isolate has looked up: hash -> grant, until the token expires. Revocation is
// still checked on every request by the token guard.
const opaqueGrants = new Map<string, TokenGrant>()
const MAX_OPAQUE = 10_000

async function checkOpaque(env: Env, token: string): Promise<TokenGrant | null> {
  if (!/^[\w-]{43}$/.test(token)) return null
  const tokenHash = await opaqueHash(token)
  const now = Math.floor(Date.now() / 1000)
  const hit = opaqueGrants.get(tokenHash)
  if (hit && hit.exp > now) return hit
  const record = await liveToken(env.DB, { tokenHash }, now)
  if (!record) return null
  const grant = grantOf('opaque', record.jti, record.claims, record.expiresAt)
  if (!grant || grant.clientId !== record.clientId) return null
  if (opaqueGrants.size >= MAX_OPAQUE) opaqueGrants.delete(opaqueGrants.keys().next().value!)
  opaqueGrants.set(tokenHash, grant)
  return grant
}

/** The grant of verified claims; null when they do not name a client and a scope as issued. */
function grantOf(
  format: TokenGrant['format'],
  jti: string,
  claims: Record<string, unknown>,
  exp: number
): TokenGrant | null {
  const { sub, client_id: clientId, scope, patient, encounter } = claims
  if (typeof scope !== 'string' || typeof clientId !== 'string' || typeof sub !== 'string') {
    return null
  }
  const tokens = splitScope(scope)
  if (!tokens) return null
  const scopes = tokens.map(parseResourceScope).filter((s): s is ResourceScope => s !== null)
  return {
    jti,
    clientId,
    format,
    scope,
    scopes,
    claims,
    exp,
    ...(sub !== clientId && { user: sub }),
    ...(typeof patient === 'string' && { patient }),
    ...(typeof encounter === 'string' && { encounter }),
  }
}

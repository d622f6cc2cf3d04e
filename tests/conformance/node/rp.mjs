// A relying party built on panva's openid-client (OpenID Certified), driven by pytest.
//
//   node rp.mjs      then one JSON line on stdin: {"scenario", "issuer", "client", ...}
//
// It speaks JSON lines on stdout:
//   {"type":"authorize","url":...,"approve":true}  the browser part: Python answers with one
//       JSON line on stdin, {"url": <callback URL>} or {"form_post": {"action", "fields"}}
//   {"type":"step","step":...,"library":[...],"own":[...]}  a step passed
//   {"type":"fail","step":...,"error":...,"code":...,"detail":...}  a step failed (exit 1)
//   {"type":"done"}
//
// `library` names the rules openid-client 6.9 / oauth4webapi 3.8 enforce in that step (read
// from their source, each throws when broken); `own` names what this script asserts on top.
// Strictness is the library's default plus enableNonRepudiationChecks (ID token and userinfo
// JWT signatures verified against jwks_uri, not only trusted from TLS). allowInsecureRequests
// is there only because the test server is plain http on loopback.

import * as client from 'openid-client'
import { createInterface } from 'node:readline'

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]()
const emit = (message) => process.stdout.write(JSON.stringify(message) + '\n')

async function readLine () {
  const { value, done } = await lines.next()
  if (done) throw new Error('stdin closed while waiting for the browser')
  return JSON.parse(value)
}

let current = 'start'

async function step (name, { library = [], own = [] }, fn) {
  current = name
  const result = await fn()
  if (violations.length) throw new Error(violations.join('; '))
  emit({ type: 'step', step: name, library, own })
  return result
}

function expect (condition, message) {
  if (!condition) throw new Error(`expectation failed: ${message}`)
}

// What the library enforces, by step kind.
const LIB = {
  discovery: 'OIDC Discovery 4.3 / RFC 8414 3.3: metadata issuer equals the issuer URL',
  authResponse: 'RFC 9207 2.4: iss present (it is advertised) and equal to the issuer; RFC 6749 4.1.2: state unchanged',
  tokenResponse: 'RFC 6749 5.1: token response is JSON, access_token string, token_type Bearer, expires_in number',
  idToken: 'OIDC Core 3.1.3.7: ID token alg as registered, JWS signature by a jwks_uri key, iss, aud, exp, iat, sub, azp',
  nonce: 'OIDC Core 3.1.3.7 (11): nonce equals the one sent',
  maxAge: 'OIDC Core 3.1.2.1, 3.1.3.7 (13): auth_time present and within max_age',
  userinfo: 'OIDC Core 5.3.2, 5.3.4: 200 application/json, sub equals the ID token sub',
  signedUserinfo: 'OIDC Core 5.3.2: application/jwt userinfo, alg as registered, signature, iss and aud, sub',
  errorBody: 'RFC 6749 5.2: error response is application/json with an error code',
  authError: 'RFC 6749 4.1.2.1: the error comes back to the redirect URI, after the iss and state checks',
  par: 'RFC 9126 2.2: 201 with request_uri and a numeric expires_in',
  introspection: 'RFC 7662 2.2: 200 JSON with a boolean active',
  revocation: 'RFC 7009 2.2: 200 for a valid and for an unknown token',
  challenge: 'RFC 6750 3: a rejected access token answers with a WWW-Authenticate Bearer challenge'
}
const OWN = {
  noStore: 'RFC 6749 5.1: Cache-Control no-store on every token response',
  atHash: 'OIDC Core 3.1.3.6, 3.2.2.9: at_hash, when present, is the left half of the access token hash',
  refreshSame: 'OIDC Core 12.2: a refreshed ID token keeps iss, sub, aud, auth_time (and nonce if any)',
  rotation: 'RFC 9700 4.14.2: the refresh token rotates and the old one introspects inactive'
}
const CODE_LIB = [LIB.authResponse, LIB.tokenResponse, LIB.idToken, LIB.nonce]
const CODE_OWN = [OWN.noStore, OWN.atHash]

// -- configuration ------------------------------------------------------------------------------

async function importKey (jwk) {
  const key = await crypto.subtle.importKey(
    'jwk', jwk, { name: 'ECDSA', namedCurve: jwk.crv }, false, ['sign'])
  return { key, kid: jwk.kid }
}

async function clientAuth (rp, method) {
  if (rp.private_jwk) return client.PrivateKeyJwt(await importKey(rp.private_jwk))
  if (!rp.client_secret) return client.None()
  return method === 'post'
    ? client.ClientSecretPost(rp.client_secret)
    : client.ClientSecretBasic(rp.client_secret)
}

const violations = []

async function discover (issuer, rp, { method } = {}) {
  const metadata = {}
  for (const name of ['id_token_signed_response_alg', 'userinfo_signed_response_alg']) {
    if (rp[name]) metadata[name] = rp[name]
  }
  const config = await client.discovery(
    new URL(issuer), rp.client_id, metadata, await clientAuth(rp, method),
    { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks], timeout: 10 })
  return watch(config)
}

// Watch the wire for what the library does not look at.
function watch (config) {
  const tokenEndpoint = config.serverMetadata().token_endpoint
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options)
    if (String(url) === tokenEndpoint && response.status === 200 &&
        !/\bno-store\b/i.test(response.headers.get('cache-control') ?? '')) {
      violations.push(`token response without Cache-Control: no-store (RFC 6749 5.1): ${response.headers.get('cache-control')}`)
    }
    return response
  }
  return config
}

async function checkAtHash (tokens) {
  const claims = tokens.claims()
  if (claims.at_hash === undefined) return
  const alg = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url')).alg
  const hash = alg === 'EdDSA' || alg === 'Ed25519' ? 'SHA-512' : `SHA-${alg.slice(2)}`
  const digest = new Uint8Array(await crypto.subtle.digest(hash, new TextEncoder().encode(tokens.access_token)))
  const expected = Buffer.from(digest.slice(0, digest.length / 2)).toString('base64url')
  expect(claims.at_hash === expected, `at_hash ${claims.at_hash} != ${expected} (${hash})`)
}

// -- building blocks ----------------------------------------------------------------------------

// The browser part: hand the URL to Python, get the callback back (a URL or a Request).
async function browse (url, { approve = true } = {}) {
  emit({ type: 'authorize', url: url.href, approve })
  const answer = await readLine()
  if (answer.form_post) {
    const { action, fields } = answer.form_post
    return new Request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString()
    })
  }
  return new URL(answer.url)
}

async function newRequest (rp, extra = {}) {
  const verifier = client.randomPKCECodeVerifier()
  const params = {
    redirect_uri: rp.redirect_uri,
    scope: 'openid profile',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: client.randomState(),
    nonce: client.randomNonce(),
    ...extra
  }
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) delete params[name]
  }
  return { params, verifier }
}

async function codeFlow (config, rp, { extra = {}, par = false, jar = null, approve = true, maxAge } = {}) {
  const { params, verifier } = await newRequest(rp, extra)
  let url
  if (jar && par) {
    const signed = await client.buildAuthorizationUrlWithJAR(config, params, jar)
    url = await client.buildAuthorizationUrlWithPAR(config, signed.searchParams)
  } else if (jar) {
    url = await client.buildAuthorizationUrlWithJAR(config, params, jar)
  } else if (par) {
    url = await client.buildAuthorizationUrlWithPAR(config, params)
  } else {
    url = client.buildAuthorizationUrl(config, params)
  }
  const callback = await browse(url, { approve })
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: params.state,
    expectedNonce: params.nonce,
    maxAge
  })
  await checkAtHash(tokens)
  return { tokens, url, params, verifier, callback }
}

function sameLogin (before, after) {
  // OpenID Connect Core 12.2: an ID token from a refresh keeps iss, sub, aud and auth_time.
  for (const name of ['iss', 'sub', 'aud', 'auth_time']) {
    expect(JSON.stringify(before[name]) === JSON.stringify(after[name]),
      `refreshed ID token ${name} ${JSON.stringify(after[name])} != ${JSON.stringify(before[name])}`)
  }
  expect(after.nonce === undefined || after.nonce === before.nonce,
    'refreshed ID token nonce differs from the original')
}

async function expectError (promise, code, message) {
  try {
    await promise
  } catch (err) {
    let got = err.error ?? err.cause?.error
    if (err instanceof client.WWWAuthenticateChallengeError) {
      // A 401 with a challenge: the library leaves the body unread for us.
      got = (await err.response.json()).error
    }
    expect(got === code, `${message}: expected error ${code}, got ${got ?? err.message}`)
    return got
  }
  throw new Error(`${message}: expected error ${code}, but it succeeded`)
}

// -- scenarios ----------------------------------------------------------------------------------

const scenarios = {
  // client_secret_basic: code + PKCE + state + nonce + max_age, userinfo, refresh with
  // rotation, introspection, revocation, and a revoked token at userinfo.
  async confidential ({ issuer, client: rp }) {
    const config = await step('discovery', { library: [LIB.discovery,
      'RFC 8414 3: the same checks on /.well-known/oauth-authorization-server'],
    own: ['RFC 9207 3: authorization_response_iss_parameter_supported is true'] }, async () => {
      const oauth = await client.discovery(new URL(issuer), rp.client_id, undefined, undefined,
        { algorithm: 'oauth2', execute: [client.allowInsecureRequests], timeout: 10 })
      expect(oauth.serverMetadata().token_endpoint, 'RFC 8414 metadata names the token endpoint')
      const config = await discover(issuer, rp)
      expect(config.serverMetadata().authorization_response_iss_parameter_supported === true,
        'metadata advertises authorization_response_iss_parameter_supported')
      return config
    })
    const { tokens } = await step('authorization_code', {
      library: [...CODE_LIB, LIB.maxAge],
      own: [...CODE_OWN, 'OIDC Core 11: offline_access with prompt=consent yields a refresh token']
    }, () => codeFlow(config, rp, {
      extra: { scope: 'openid profile offline_access', max_age: '600', prompt: 'consent' },
      maxAge: 600
    }))
    expect(tokens.refresh_token, 'a refresh token for offline_access')
    const claims = tokens.claims()
    await step('userinfo', { library: [LIB.userinfo], own: ['the profile scope yields name'] },
      async () => {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub)
        expect(info.name === '王五', `userinfo name ${info.name}`)
      })
    const refreshed = await step('refresh_token', {
      library: [LIB.tokenResponse, LIB.idToken], own: [OWN.noStore, OWN.refreshSame, OWN.rotation]
    }, async () => {
      const next = await client.refreshTokenGrant(config, tokens.refresh_token)
      expect(next.access_token !== tokens.access_token, 'a new access token')
      expect(next.refresh_token && next.refresh_token !== tokens.refresh_token, 'a new refresh token')
      if (next.id_token) sameLogin(claims, next.claims())
      const spent = await client.tokenIntrospection(config, tokens.refresh_token)
      expect(spent.active === false, 'the rotated refresh token is no longer active')
      return next
    })
    await step('introspection', { library: [LIB.introspection],
      own: ['RFC 7662 2.2: client_id, sub, scope, token_type of an active access token'] },
    async () => {
      const info = await client.tokenIntrospection(config, refreshed.access_token)
      expect(info.active === true, 'the fresh access token is active')
      expect(info.client_id === rp.client_id, `client_id ${info.client_id}`)
      expect(info.sub === claims.sub, 'sub matches the ID token')
      expect(info.scope.split(' ').includes('openid'), `scope ${info.scope}`)
      expect(info.token_type?.toLowerCase() === 'bearer', `token_type ${info.token_type}`)
    })
    await step('revocation', { library: [LIB.revocation, LIB.errorBody, LIB.challenge], own: [
      'RFC 7009 2.1: revoking a refresh token revokes it and its access tokens',
      'RFC 6749 5.2: a revoked refresh token is invalid_grant',
      'RFC 6750 3.1: a revoked access token at userinfo is invalid_token']
    }, async () => {
      await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' })
      await client.tokenRevocation(config, 'no-such-token')
      const info = await client.tokenIntrospection(config, refreshed.refresh_token)
      expect(info.active === false, 'the revoked refresh token is inactive')
      const access = await client.tokenIntrospection(config, refreshed.access_token)
      expect(access.active === false, "the grant's access token is revoked with it")
      await expectError(client.refreshTokenGrant(config, refreshed.refresh_token),
        'invalid_grant', 'refresh with a revoked token')
      try {
        await client.fetchUserInfo(config, refreshed.access_token, claims.sub)
        throw new Error('userinfo accepted a revoked access token')
      } catch (err) {
        expect(err instanceof client.WWWAuthenticateChallengeError, `${err.name}: ${err.message}`)
        const [challenge] = err.cause
        expect(err.status === 401 && challenge.scheme === 'bearer' &&
          challenge.parameters.error === 'invalid_token',
        `status ${err.status}, challenge ${JSON.stringify(err.cause)}`)
      }
    })
  },

  // The same client, answered by the form_post response mode.
  async form_post ({ issuer, client: rp }) {
    const config = await discover(issuer, rp)
    await step('form_post', { library: [LIB.discovery, ...CODE_LIB,
      'OAuth 2.0 Form Post Response Mode 2: the response read from a POSTed form body'],
    own: CODE_OWN }, () => codeFlow(config, rp, { extra: { response_mode: 'form_post' } }))
  },

  // A public client: token_endpoint_auth_method none, PKCE its only proof.
  async public ({ issuer, client: rp }) {
    const config = await discover(issuer, rp)
    const { tokens, callback, params, verifier } = await step('authorization_code', {
      library: [LIB.discovery, ...CODE_LIB],
      own: [...CODE_OWN, 'RFC 7636, RFC 9700 2.1.1: a public client redeems its code with PKCE alone']
    }, () => codeFlow(config, rp, { extra: { scope: 'openid profile offline_access', prompt: 'consent' } }))
    const claims = tokens.claims()
    await step('userinfo', { library: [LIB.userinfo] },
      () => client.fetchUserInfo(config, tokens.access_token, claims.sub))
    const next = await step('refresh_token', { library: [LIB.tokenResponse, LIB.idToken],
      own: ['RFC 6749 6: a public client refreshes with its client_id', OWN.refreshSame] },
    async () => {
      const next = await client.refreshTokenGrant(config, tokens.refresh_token)
      if (next.id_token) sameLogin(claims, next.claims())
      return next
    })
    await step('introspection_refused', { library: [LIB.errorBody], own: [
      'RFC 7662 2.1, 4: introspection needs client authentication; a public client_id is none'] },
    () => expectError(client.tokenIntrospection(config, next.access_token),
      'invalid_client', 'introspection by a public client'))
    await step('code_reuse', { library: [LIB.errorBody], own: [
      'RFC 6749 4.1.2, 10.5: a code is used once; a second redemption is invalid_grant',
      'RFC 6749 4.1.2: tokens issued from a reused code are revoked (the refresh token fails)'] },
    async () => {
      await expectError(client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier, expectedState: params.state, expectedNonce: params.nonce
      }), 'invalid_grant', 'the same code twice')
      await expectError(client.refreshTokenGrant(config, next.refresh_token),
        'invalid_grant', 'refresh after the code was replayed')
    })
    await step('par', { library: [LIB.par, ...CODE_LIB], own: [...CODE_OWN,
      'RFC 9126 2: a public client pushes its request identified by client_id alone'] },
    async () => {
      const { tokens: again } = await codeFlow(config, rp, { par: true })
      expect(again.claims().sub === claims.sub, 'the same person')
    })
    await step('without_state_and_nonce', { library: [LIB.tokenResponse, LIB.idToken,
      'RFC 6749 4.1.2: no state in the response when none was sent',
      'OIDC Core 3.1.3.7 (11): no nonce in the ID token when none was sent'], own: [OWN.noStore] },
    async () => {
      const { params: p, verifier: v } = await newRequest(rp, { state: undefined, nonce: undefined })
      const url = client.buildAuthorizationUrl(config, p)
      const tokens = await client.authorizationCodeGrant(config, await browse(url),
        { pkceCodeVerifier: v, idTokenExpected: true })
      expect(tokens.claims().sub === claims.sub, 'the same person')
    })
  },

  // Errors sent back to the client carry state and iss too (RFC 9207 2).
  async errors ({ issuer, client: rp }) {
    const config = await discover(issuer, rp)
    await step('prompt_none_without_session', { library: [LIB.authResponse, LIB.authError],
      own: ['OIDC Core 3.1.2.6: prompt=none without a session is login_required'] },
    () => expectError(codeFlow(config, rp, { extra: { prompt: 'none' } }),
      'login_required', 'prompt=none'))
    await step('pkce_plain_refused', { library: [LIB.authResponse, LIB.authError],
      own: ['RFC 9700 2.1.1, RFC 7636 4.4.1: plain PKCE refused with invalid_request'] },
    () => expectError(codeFlow(config, rp, { extra: { code_challenge_method: 'plain' } }),
      'invalid_request', 'code_challenge_method=plain'))
    await step('pkce_missing_refused', { library: [LIB.authResponse, LIB.authError],
      own: ['RFC 9700 2.1.1: a request without code_challenge is invalid_request'] },
    () => expectError(codeFlow(config, rp, { extra: { code_challenge: undefined, code_challenge_method: undefined } }),
      'invalid_request', 'no code_challenge'))
    await step('response_type_refused', { library: [LIB.authResponse, LIB.authError],
      own: ['RFC 6749 4.1.2.1: an implicit response_type is unsupported_response_type'] },
    () => expectError(codeFlow(config, rp, { extra: { response_type: 'id_token token' } }),
      'unsupported_response_type', 'response_type=id_token token'))
    await step('consent_denied', { library: [LIB.authResponse, LIB.authError],
      own: ['RFC 6749 4.1.2.1: a declined consent is access_denied'] },
    () => expectError(codeFlow(config, rp, { extra: { prompt: 'consent' }, approve: false }),
      'access_denied', 'a declined consent'))
  },

  // client_credentials with client_secret_post; introspection and revocation of the result.
  async service ({ issuer, client: rp }) {
    const config = await discover(issuer, rp, { method: 'post' })
    const tokens = await step('client_credentials', { library: [LIB.discovery, LIB.tokenResponse],
      own: [OWN.noStore, 'RFC 6749 2.3.1: client_secret_post',
        'RFC 6749 4.4.3: no refresh token for client credentials'] }, async () => {
      const tokens = await client.clientCredentialsGrant(config, { scope: 'api:licences' })
      expect(tokens.scope === 'api:licences', `scope ${tokens.scope}`)
      expect(!tokens.refresh_token, 'no refresh token')
      return tokens
    })
    await step('introspection_and_revocation', { library: [LIB.introspection, LIB.revocation],
      own: ['RFC 7009 2.1: a revoked access token introspects inactive'] }, async () => {
      const info = await client.tokenIntrospection(config, tokens.access_token)
      expect(info.active === true && info.client_id === rp.client_id, 'active, ours')
      await client.tokenRevocation(config, tokens.access_token, { token_type_hint: 'access_token' })
      const after = await client.tokenIntrospection(config, tokens.access_token)
      expect(after.active === false, 'revoked access token is inactive')
    })
  },

  // private_key_jwt everywhere; PAR, a signed request object (JAR), and both together.
  async keyed ({ issuer, client: rp }) {
    const config = await discover(issuer, rp)
    const key = await importKey(rp.private_jwk)
    const KEYED = 'RFC 7523 2.2, OIDC Core 9: private_key_jwt assertion (aud = issuer) accepted'
    const { tokens } = await step('par', { library: [LIB.discovery, LIB.par, ...CODE_LIB],
      own: [...CODE_OWN, KEYED, 'RFC 9126 4: the request_uri works at the authorization endpoint'] },
    () => codeFlow(config, rp, { par: true, extra: { scope: 'openid profile offline_access', prompt: 'consent' } }))
    const claims = tokens.claims()
    await step('userinfo', { library: [LIB.userinfo] },
      () => client.fetchUserInfo(config, tokens.access_token, claims.sub))
    await step('refresh_token', { library: [LIB.tokenResponse, LIB.idToken],
      own: [KEYED, OWN.refreshSame] }, async () => {
      const next = await client.refreshTokenGrant(config, tokens.refresh_token)
      if (next.id_token) sameLogin(claims, next.claims())
    })
    await step('jar', { library: [...CODE_LIB, LIB.maxAge], own: [...CODE_OWN,
      'RFC 9101 5.1: a signed request object by value, with max_age (a number) and claims (an object) inside',
      'OIDC Core 5.5: a claims request for an ID token claim the scope releases is honoured',
      'OIDC Core 3.1.2.1: a silent re-authentication keeps the original auth_time'] },
    async () => {
      const { tokens: again } = await codeFlow(config, rp, {
        jar: key,
        extra: {
          max_age: '3600',
          claims: JSON.stringify({ id_token: { name: null, auth_time: { essential: true } } })
        },
        maxAge: 3600
      })
      const second = again.claims()
      expect(second.sub === claims.sub, 'the same person')
      expect(second.auth_time === claims.auth_time, `auth_time ${second.auth_time} != ${claims.auth_time}`)
      expect(second.name === '王五', `claims request: ID token name ${second.name}`)
    })
    await step('jar_and_par', { library: [LIB.par, ...CODE_LIB],
      own: [...CODE_OWN, 'RFC 9126 3: a signed request object pushed'] }, async () => {
      const { tokens: again } = await codeFlow(config, rp, { jar: key, par: true })
      expect(again.claims().sub === claims.sub, 'the same person')
    })
    await step('client_credentials', { library: [LIB.tokenResponse, LIB.introspection, LIB.revocation, LIB.challenge],
      own: [KEYED, OWN.noStore, 'RFC 6750 3.1: a token without openid at userinfo is 403 insufficient_scope'] }, async () => {
      const cc = await client.clientCredentialsGrant(config, { scope: 'api:licences' })
      const info = await client.tokenIntrospection(config, cc.access_token)
      expect(info.active === true, 'active')
      try {
        await client.fetchUserInfo(config, cc.access_token, client.skipSubjectCheck)
        throw new Error('userinfo accepted an access token without the openid scope')
      } catch (err) {
        expect(err instanceof client.WWWAuthenticateChallengeError, `${err.name}: ${err.message}`)
        expect(err.status === 403 && err.cause[0].parameters.error === 'insufficient_scope',
          `status ${err.status}, challenge ${JSON.stringify(err.cause)}`)
      }
      await client.tokenRevocation(config, cc.access_token)
    })
  },

  // Dynamic Client Registration (RFC 7591) with an initial access token, then a login
  // with the client it made: once with full metadata, once with redirect_uris alone.
  async registration ({ issuer, initial_access_token: initialAccessToken, callback }) {
    const options = {
      initialAccessToken,
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
      timeout: 10
    }
    const REG = 'RFC 7591 3.2.1: 201 JSON with client_id, client_secret and client_secret_expires_at'
    const full = await step('register', { library: [REG, LIB.discovery],
      own: ['RFC 7591 3.2.1: the registered metadata is echoed back'] }, async () => {
      const config = await client.dynamicClientRegistration(new URL(issuer), {
        client_name: '动态注册系统',
        redirect_uris: [callback],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'ES256'
      }, undefined, options)
      watch(config)
      const meta = config.clientMetadata()
      expect(meta.client_secret, 'a client secret')
      expect(JSON.stringify(meta.redirect_uris) === JSON.stringify([callback]), 'redirect_uris echoed')
      expect(meta.token_endpoint_auth_method === 'client_secret_post', 'auth method echoed')
      return config
    })
    await step('registered_client_signs_in', { library: CODE_LIB, own: CODE_OWN }, () =>
      codeFlow(full, { redirect_uri: callback }))
    const minimal = await step('register_minimal', { library: [REG], own: [
      'RFC 7591 2: every metadata field but redirect_uris is optional (client_name may be omitted)',
      'RFC 7591 2: token_endpoint_auth_method defaults to client_secret_basic']
    }, async () => {
      const config = await client.dynamicClientRegistration(new URL(issuer),
        { redirect_uris: [callback] }, client.ClientSecretBasic(), options)
      watch(config)
      const meta = config.clientMetadata()
      expect(meta.token_endpoint_auth_method === 'client_secret_basic',
        `token_endpoint_auth_method ${meta.token_endpoint_auth_method}`)
      return config
    })
    await step('minimal_client_signs_in', { library: CODE_LIB, own: CODE_OWN }, () =>
      codeFlow(minimal, { redirect_uri: callback }))
  },

  // A client registered for another ID token algorithm, with signed userinfo responses.
  async signed ({ issuer, client: rp }) {
    const config = await discover(issuer, rp)
    const { tokens } = await step('authorization_code', { library: [LIB.discovery, ...CODE_LIB],
      own: [...CODE_OWN, `OIDC Registration 2: the ID token is signed ${rp.id_token_signed_response_alg} as registered`] },
    () => codeFlow(config, rp))
    await step('signed_userinfo', { library: [LIB.signedUserinfo], own: ['the profile scope yields name'] },
      async () => {
        const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub)
        expect(info.name === '王五', `userinfo name ${info.name}`)
      })
  }
}

// -- main ---------------------------------------------------------------------------------------

try {
  const input = await readLine()
  const run = scenarios[input.scenario]
  if (!run) throw new Error(`unknown scenario ${input.scenario}`)
  await run(input)
  emit({ type: 'done' })
  process.exit(0)
} catch (err) {
  emit({
    type: 'fail',
    step: current,
    error: `${err.name}: ${err.message}`,
    code: err.code,
    detail: err.error
      ? { error: err.error, error_description: err.error_description, status: err.status }
      : (err.cause instanceof URLSearchParams ? Object.fromEntries(err.cause) : (err.cause ? String(err.cause.message ?? err.cause) : undefined))
  })
  process.exit(1)
}

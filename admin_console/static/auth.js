// Signing in: the dev token locally; on AWS the Cognito hosted UI with the authorization code
// flow and PKCE (RFC 7636, S256). The admin API's Cognito authorizer validates the *ID* token,
// so that is the bearer token sent; both tokens live in sessionStorage only (gone with the tab).

const KEYS = {
  verifier: "catalog.pkce.verifier",
  state: "catalog.pkce.state",
  returnTo: "catalog.return_to",
  idToken: "catalog.id_token",
  accessToken: "catalog.access_token",
  expiresAt: "catalog.expires_at",
};

/** base64url without padding (RFC 4648 §5), as PKCE and JWTs use it. */
export function base64url(bytes) {
  let binary = "";
  for (const byte of new Uint8Array(bytes)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** A random string of URL-safe characters from `size` random bytes. */
export function randomString(size = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(size)));
}

/** The S256 code challenge of a code verifier: base64url(SHA-256(verifier)). */
export async function pkceChallenge(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64url(digest);
}

function domainOf(signIn) {
  return String(signIn.domain).replace(/\/+$/, "");
}

/** The hosted UI's authorize URL for this client, challenge and state. */
export function authorizeUrl(signIn, challenge, state) {
  const url = new URL(`${domainOf(signIn)}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: signIn.client_id,
    redirect_uri: String(signIn.redirect_uri),
    scope: signIn.scopes.join(" "),
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  }).toString();
  return url.toString();
}

/** The hosted UI's sign-out URL (it ends the Cognito session, then returns to `logout_uri`). */
export function signOutUrl(signIn) {
  const url = new URL(`${domainOf(signIn)}/logout`);
  url.search = new URLSearchParams({
    client_id: signIn.client_id,
    logout_uri: String(signIn.logout_uri),
  }).toString();
  return url.toString();
}

/** Start signing in: remember verifier, state and where to come back, then go to the hosted UI. */
export async function beginSignIn(signIn, returnTo) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(KEYS.verifier, verifier);
  sessionStorage.setItem(KEYS.state, state);
  sessionStorage.setItem(KEYS.returnTo, returnTo);
  window.location.assign(authorizeUrl(signIn, await pkceChallenge(verifier), state));
}

/**
 * Finish signing in on the callback page: check the state, exchange the code for tokens.
 * @returns {Promise<string>} where to return to in the console
 */
export async function completeSignIn(signIn, params) {
  const error = params.get("error");
  if (error) throw new Error(`sign-in failed: ${params.get("error_description") || error}`);
  const state = sessionStorage.getItem(KEYS.state);
  const verifier = sessionStorage.getItem(KEYS.verifier);
  if (!state || params.get("state") !== state || !verifier) {
    throw new Error("sign-in could not be verified (state mismatch); please sign in again");
  }
  const response = await fetch(`${domainOf(signIn)}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: signIn.client_id,
      code: params.get("code") || "",
      redirect_uri: String(signIn.redirect_uri),
      code_verifier: verifier,
    }),
  });
  if (!response.ok) throw new Error(`the token exchange failed (HTTP ${response.status})`);
  const tokens = await response.json();
  sessionStorage.setItem(KEYS.idToken, tokens.id_token);
  sessionStorage.setItem(KEYS.accessToken, tokens.access_token);
  sessionStorage.setItem(KEYS.expiresAt, String(Date.now() + Number(tokens.expires_in) * 1000));
  sessionStorage.removeItem(KEYS.state);
  sessionStorage.removeItem(KEYS.verifier);
  const returnTo = sessionStorage.getItem(KEYS.returnTo) || "";
  sessionStorage.removeItem(KEYS.returnTo);
  return returnTo;
}

/** The bearer token to send, or null when the admin must sign in (again). */
export function currentToken(signIn) {
  if (signIn.mode === "dev-token") return signIn.token;
  const expiresAt = Number(sessionStorage.getItem(KEYS.expiresAt) || 0);
  // A minute's margin: a token about to expire would fail mid-request.
  if (Date.now() > expiresAt - 60_000) return null;
  return sessionStorage.getItem(KEYS.idToken);
}

/** Forget the tokens and, with Cognito, end the hosted UI's session too. */
export function signOut(signIn) {
  for (const key of Object.values(KEYS)) sessionStorage.removeItem(key);
  if (signIn.mode === "cognito") window.location.assign(signOutUrl(signIn));
}

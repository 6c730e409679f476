// Signing in with an OIDC issuer: the authorization code flow with PKCE (RFC 7636), run by this
// page. The gateway lists the issuers that name a client for the UI (/ui/login.json); the page
// reads the issuer's discovery document, sends the browser to its authorization endpoint with a
// code challenge, and on the way back exchanges the code and the verifier for an access token at
// the token endpoint. The verifier and state live in this tab's sessionStorage until the return,
// and the token is kept like a pasted one (session.js). docs/ui.md.
import * as session from './session.js';

const PENDING = 'jitgw.oidc.pending';

/** The issuers offered for signing in: [{issuer, client_id}]. */
export async function providers() {
  try {
    const response = await fetch('/ui/login.json', { cache: 'no-cache' });
    if (!response.ok) return [];
    const body = await response.json();
    return Array.isArray(body.providers) ? body.providers : [];
  } catch {
    return [];
  }
}

function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function random(length) {
  return base64url(crypto.getRandomValues(new Uint8Array(length)));
}

async function discover(issuer) {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  let response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw new Error(`Cannot reach ${url} (${e.message}).`);
  }
  if (!response.ok) throw new Error(`${url} answered ${response.status}.`);
  const doc = await response.json();
  if (!doc.authorization_endpoint || !doc.token_endpoint) {
    throw new Error(`${url} names no authorization or token endpoint.`);
  }
  return doc;
}

function redirectUri() {
  return `${location.origin}/ui/`;
}

/** Sends the browser to the issuer's sign-in page; comes back to /ui/ with a code. */
export async function begin(provider) {
  if (!window.crypto?.subtle) {
    throw new Error('Signing in needs a secure context: open the UI over https or on localhost.');
  }
  const doc = await discover(provider.issuer);
  const verifier = random(32);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  const state = random(16);
  sessionStorage.setItem(
    PENDING,
    JSON.stringify({
      state,
      verifier,
      clientId: provider.client_id,
      tokenEndpoint: doc.token_endpoint,
      redirectUri: redirectUri(),
      returnTo: location.pathname,
    }),
  );
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: provider.client_id,
    redirect_uri: redirectUri(),
    scope: 'openid',
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: 'S256',
  });
  location.assign(`${doc.authorization_endpoint}?${params}`);
}

/**
 * Finishes a sign-in when this page is the issuer's redirect back (a code or an error in the
 * query): answers whether it was one, and throws with the reason when the sign-in failed.
 */
export async function complete() {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  // The code is single-use and must not stay in the address bar or the history.
  history.replaceState(null, '', pending?.returnTo ?? '/ui/');
  if (error) {
    throw new Error(`The identity provider did not sign you in: ${params.get('error_description') ?? error}`);
  }
  if (!pending || pending.state !== params.get('state')) {
    throw new Error('That sign-in was not started from this tab (state mismatch); try again.');
  }
  let response;
  try {
    response = await fetch(pending.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: pending.redirectUri,
        client_id: pending.clientId,
        code_verifier: pending.verifier,
      }),
    });
  } catch (e) {
    throw new Error(`Cannot reach the token endpoint ${pending.tokenEndpoint} (${e.message}).`);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.access_token !== 'string') {
    throw new Error(
      `The token endpoint refused the code: ${body.error_description ?? body.error ?? response.status}`,
    );
  }
  session.login(body.access_token);
  return true;
}

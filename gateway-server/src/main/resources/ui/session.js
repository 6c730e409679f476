// The logged-in user's token. Kept in sessionStorage: it survives a reload of this tab but not
// closing it, is not shared with other tabs, and is never written to localStorage (docs/ui.md).
const KEY = 'jitgw.admin.token';

export function token() {
  return sessionStorage.getItem(KEY);
}

/** The token's payload, decoded for display only: the gateway verifies every call. */
export function claims(jwt = token()) {
  if (!jwt) return null;
  const parts = jwt.split('.');
  if (parts.length !== 3) return null;
  try {
    const base64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    const payload = JSON.parse(new TextDecoder().decode(bytes));
    return payload && typeof payload === 'object' ? payload : null;
  } catch {
    return null;
  }
}

/** Stores a pasted token; throws with a reason when it is not a JWT or has expired. */
export function login(pasted) {
  const jwt = pasted.trim().replace(/^Bearer\s+/i, '');
  const payload = claims(jwt);
  if (!payload) throw new Error('That is not a JWT (expected three base64url parts).');
  if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) {
    throw new Error('That token has expired.');
  }
  sessionStorage.setItem(KEY, jwt);
  return payload;
}

export function logout() {
  sessionStorage.removeItem(KEY);
}

export function expired() {
  const payload = claims();
  return !payload || (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now());
}

/** The groups in the payload, wherever a common IdP puts them. */
export function groups(payload = claims()) {
  if (!payload) return [];
  const found = payload.groups ?? payload.roles ?? payload.realm_access?.roles ?? [];
  return Array.isArray(found) ? found.map(String) : [String(found)];
}

import { token } from './session.js';

/** A refusal from the admin API, in the gateway's error shape. */
export class ApiError extends Error {
  constructor(status, code, message, details = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Calls the admin API with the bearer token; answers the response, or throws an ApiError. */
export async function call(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new ApiError(0, 'network', `The gateway did not answer: ${e.message}`);
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    let code = '';
    let details = {};
    try {
      const error = (await response.json()).error;
      message = error?.message ?? message;
      details = error?.details ?? {};
      code = details.error_code ?? '';
    } catch {
      // not the gateway's error shape: keep the status line
    }
    if (response.status === 401) {
      window.dispatchEvent(new CustomEvent('jitgw:unauthorized', { detail: message }));
    }
    throw new ApiError(response.status, code, message, details);
  }
  return response;
}

export async function json(path, options) {
  return (await call(path, options)).json();
}

/** Fetches path with the token and hands the bytes to the browser as a file download. */
export async function download(path, filename) {
  const response = await call(path);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { response, size: blob.size };
}

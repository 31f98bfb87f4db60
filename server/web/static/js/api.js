// Client of pacer's JSON API. Every request carries the bearer token kept in
// sessionStorage, so the token lives only as long as the browser tab.

const TOKEN_KEY = 'pacer.token';

// ApiError is a failed request. status is the HTTP status, or 0 when the
// server could not be reached; message is the API's {"error": ...} text.
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

let unauthorizedHandler = () => {};

// onUnauthorized sets the function called when the API rejects the token.
export function onUnauthorized(fn) {
  unauthorizedHandler = fn;
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

// request sends a JSON request and returns the decoded response. With body
// undefined it sends no body. It throws ApiError for a non-2xx status.
export async function request(method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${getToken()}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, init);
  } catch (err) {
    throw new ApiError(0, `cannot reach the pacer server (${err.message}): check that it is running`);
  }
  const text = await resp.text();
  return decode(resp.status, text, path);
}

// upload posts a multipart form with XMLHttpRequest, which, unlike fetch,
// reports upload progress: onProgress gets the fraction sent, from 0 to 1,
// or null when the size is unknown.
export function upload(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Authorization', `Bearer ${getToken()}`);
    xhr.upload.addEventListener('progress', (e) => {
      onProgress(e.lengthComputable && e.total > 0 ? e.loaded / e.total : null);
    });
    xhr.addEventListener('load', () => {
      try {
        resolve(decode(xhr.status, xhr.responseText, path));
      } catch (err) {
        reject(err);
      }
    });
    xhr.addEventListener('error', () => {
      reject(new ApiError(0, 'the upload failed: check that the pacer server is running'));
    });
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'the upload was aborted')));
    xhr.send(form);
  });
}

function decode(status, text, path) {
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (status >= 200 && status < 300) return data;
  const message = data && typeof data.error === 'string' ? data.error : (text.trim() || `HTTP ${status} from ${path}`);
  const err = new ApiError(status, message);
  if (status === 401) unauthorizedHandler(err);
  throw err;
}

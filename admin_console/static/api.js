// The admin API as the console uses it. Every failure becomes an ApiError carrying the RFC 9457
// problem details, so views show the server's own `detail` and per-field `errors`.

/** An admin API call that did not succeed; `problem` is the problem+json body (or a stand-in). */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** Field errors as {field: message}, for showing each beside its control. */
  fieldErrors() {
    const byField = {};
    for (const { field, message } of this.problem.errors || []) {
      byField[field] = byField[field] ? `${byField[field]}; ${message}` : message;
    }
    return byField;
  }
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText, status: response.status, detail: `HTTP ${response.status}` };
  }
}

function unreachable(what) {
  return new ApiError(0, {
    title: "Network error",
    status: 0,
    detail: `${what} could not be reached. Check that the catalog is running and try again.`,
  });
}

/** A fresh Idempotency-Key: a retried click must not create twice. */
function idempotencyKey() {
  return crypto.randomUUID();
}

/**
 * The admin API client.
 * @param {string} baseUrl the admin API's base URL (config.admin_api)
 * @param {() => string | null} token the bearer token to send
 * @param {() => void} onUnauthorized called on 401 (sign in again)
 */
export function createApi(baseUrl, token, onUnauthorized) {
  async function call(method, path, { body, query, headers = {} } = {}) {
    const url = new URL(`${baseUrl}${path}`);
    for (const [name, value] of Object.entries(query || {})) {
      if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, value);
    }
    const allHeaders = { Accept: "application/json", Authorization: `Bearer ${token()}`, ...headers };
    if (body !== undefined) allHeaders["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        headers: allHeaders,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store",
      });
    } catch {
      throw unreachable("The admin API");
    }
    if (response.status === 401) onUnauthorized();
    if (!response.ok) throw new ApiError(response.status, await problemOf(response));
    return response.status === 204 ? null : response.json();
  }

  const post = (path, body) => call("POST", path, { body, headers: { "Idempotency-Key": idempotencyKey() } });
  const product = (id) => `/admin/products/${encodeURIComponent(id)}`;

  return {
    listProducts: (query) => call("GET", "/admin/products", { query }),
    getProduct: (id) => call("GET", product(id)),
    history: (id, cursor) => call("GET", `${product(id)}/events`, { query: { limit: 20, cursor } }),
    createProduct: (body) => post("/admin/products", body),
    // If-Match carries the version the form was loaded at: a change in between is a 412.
    updateProduct: (id, version, body) =>
      call("PATCH", product(id), { body, headers: { "If-Match": `"${version}"` } }),
    adjustStock: (id, body) => post(`${product(id)}/inventory`, body),
    requestImageUpload: (id, file) =>
      post(`${product(id)}/images`, { content_type: file.type, content_length: file.size }),
    startImport: (format, file) => post("/admin/imports", { format, content_length: file.size }),
    getImport: (id) => call("GET", `/admin/imports/${encodeURIComponent(id)}`),
    startExport: (body) => post("/admin/exports", body),
    getExport: (id) => call("GET", `/admin/exports/${encodeURIComponent(id)}`),
  };
}

/** Send a file with the presigned POST the admin API returned (fields first, the file last). */
export async function uploadFile(upload, file) {
  const form = new FormData();
  for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
  form.append("file", file);
  let response;
  try {
    response = await fetch(upload.url, { method: "POST", body: form });
  } catch {
    throw unreachable("The storage endpoint");
  }
  if (!response.ok) {
    throw new ApiError(response.status, {
      title: "Upload refused",
      status: response.status,
      detail: `the storage endpoint refused the file (HTTP ${response.status})`,
    });
  }
}

/** Read a presigned JSONL file (an import's errors) into objects. */
export async function readJsonLines(url) {
  let response;
  try {
    response = await fetch(url);
  } catch {
    throw unreachable("The errors file");
  }
  if (!response.ok) throw new ApiError(response.status, { detail: "the errors file could not be read" });
  const text = await response.text();
  return text
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

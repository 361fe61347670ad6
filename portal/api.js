// The hookd API as the portal calls it: same origin, the signed-in token, JSON.
//
// Each call names its route as openapi/hookd.yaml does. The types below are comments to the
// browser (no build step); the test portal.ClientMatchesTheDocument generates `paths` from the
// document with openapi-typescript and type-checks the portal with tsc, so that a call whose
// path, method, path parameters, query or body the document does not have fails there.

/** @typedef {import('hookd-api').paths} paths */
/** @typedef {import('hookd-api').components['schemas']} schemas */
/** @typedef {'GET' | 'PUT' | 'POST' | 'DELETE'} Method */

/**
 * The methods the document lists for path `P`.
 * @template {keyof paths} P
 * @typedef {{ [M in Method]: paths[P][Lowercase<M>] extends undefined ? never : M }[Method]} MethodOf
 */

/**
 * The operation `M P` of the document.
 * @template {keyof paths} P
 * @template {Method} M
 * @typedef {paths[P][Lowercase<M>]} Operation
 */

/**
 * What a call of operation `O` sends besides its method and path: its path parameters and
 * query, required where the document requires them, and its JSON body, if it takes one.
 * @template O
 * @typedef {(O extends { parameters: infer X } ? Pick<X, 'path' & keyof X> & Pick<X, 'query' & keyof X> : {})
 *   & (O extends { requestBody?: never } ? { body?: never }
 *     : O extends { requestBody: { content: { 'application/json': infer B } } } ? { body: B }
 *     : O extends { requestBody?: { content: { 'application/json': infer B } } } ? { body?: B } : never)} Options
 */

/**
 * The options argument: optional when nothing in it is required.
 * @template O
 * @typedef {{} extends Options<O> ? [options?: Options<O>] : [options: Options<O>]} OptionsArgument
 */

/**
 * The JSON body of operation `O`'s success (200 or 202), or null for 204.
 * @template O
 * @typedef {O extends { responses: infer R }
 *   ? { [S in keyof R]: S extends 200 | 202 ? (R[S] extends { content: { 'application/json': infer B } } ? B : never)
 *                     : S extends 204 ? null : never }[keyof R]
 *   : never} Answer
 */

/**
 * One request: `call('GET', '/v2/webhooks/{id}', { path: { id: 12 } })`.
 * @typedef {<P extends keyof paths, M extends MethodOf<P>>(method: M, path: P,
 *   ...options: OptionsArgument<Operation<P, M>>) => Promise<Answer<Operation<P, M>>>} Call
 */

/**
 * What `call` does with the options, whatever the operation.
 * @typedef {{ path?: Record<string, string | number>, query?: Record<string, string | number | undefined>, body?: unknown }} AnyOptions
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {{ message?: string, errorMessage?: string, code?: string, errorCode?: string } | null} body
   */
  constructor(status, body) {
    super((body && (body.message || body.errorMessage)) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && (body.code || body.errorCode)) || '';
  }
}

/** @param {AnyOptions['query']} params */
function queryString(params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** @param {string} token */
export function createClient(token) {
  /** @type {Call} */
  const call = async (method, path, ...options) => {
    const { path: params = {}, query, body } = /** @type {AnyOptions} */ (options[0] ?? {});
    const url = path.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(params[name])));
    /** @type {RequestInit & { headers: Record<string, string> }} */
    const init = { method, headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url + queryString(query), init);
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = { message: text };
      }
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  };
  return {
    getSession: () => call('GET', '/portal/session'),
    /** @param {{ offset?: number, size?: number }} [page] */
    listWebhooks: ({ offset = 0, size = 20 } = {}) =>
      call('GET', '/v2/webhooks', { query: { offset, size } }),
    /** @param {number} id */
    getWebhook: (id) => call('GET', '/v2/webhooks/{id}', { path: { id } }),
    /** @param {schemas['WebhookCreate']} body */
    createWebhook: (body) => call('POST', '/v2/webhooks', { body }),
    /** @param {number} id @param {schemas['WebhookUpdate']} body */
    updateWebhook: (id, body) => call('PUT', '/v2/webhooks/{id}', { path: { id }, body }),
    /** @param {number} id */
    deleteWebhook: (id) => call('DELETE', '/v2/webhooks/{id}', { path: { id } }),
    /** @param {number} id */
    rotateSecret: (id) => call('POST', '/v2/webhooks/{id}/rotate-secret', { path: { id } }),
    /** @param {number} id */
    sendTest: (id) => call('POST', '/v2/webhooks/{id}/test', { path: { id } }),
    /** @param {number} id @param {string} since */
    recover: (id, since) => call('POST', '/v2/webhooks/{id}/recover', { path: { id }, body: { since } }),
    /**
     * @param {number} id
     * @param {{ status?: schemas['DeliveryStatus'], offset?: number, size?: number }} [page]
     */
    listDeliveries: (id, { status, offset = 0, size = 20 } = {}) =>
      call('GET', '/v2/webhooks/{id}/deliveries', { path: { id }, query: { status, offset, size } }),
    /** @param {number} id @param {number} deliveryId */
    getDelivery: (id, deliveryId) =>
      call('GET', '/v2/webhooks/{id}/deliveries/{deliveryId}', { path: { id, deliveryId } }),
    /** @param {number} id @param {number} deliveryId */
    retryDelivery: (id, deliveryId) =>
      call('POST', '/v2/webhooks/{id}/deliveries/{deliveryId}/retry', { path: { id, deliveryId } }),
  };
}

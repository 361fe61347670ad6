// The hookd API as the portal calls it: same origin, the session's bearer token, JSON.
// A hand-written client of the few routes the portal needs.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && (body.message || body.errorMessage)) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && (body.code || body.errorCode)) || '';
  }
}

export function createClient(token) {
  async function call(method, path, body) {
    const init = { method, headers: { Authorization: `Bearer ${token}` }, cache: 'no-store' };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
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
  }
  const id = (value) => encodeURIComponent(String(value));
  const query = (params) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
    }
    const text = search.toString();
    return text ? `?${text}` : '';
  };
  return {
    getSession: () => call('GET', '/portal/session'),
    listWebhooks: ({ offset = 0, size = 20 } = {}) =>
      call('GET', `/v2/webhooks${query({ offset, size })}`),
    getWebhook: (webhookId) => call('GET', `/v2/webhooks/${id(webhookId)}`),
    createWebhook: (body) => call('POST', '/v2/webhooks', body),
    updateWebhook: (webhookId, body) => call('PUT', `/v2/webhooks/${id(webhookId)}`, body),
    deleteWebhook: (webhookId) => call('DELETE', `/v2/webhooks/${id(webhookId)}`),
    rotateSecret: (webhookId) => call('POST', `/v2/webhooks/${id(webhookId)}/rotate-secret`),
    sendTest: (webhookId) => call('POST', `/v2/webhooks/${id(webhookId)}/test`),
    recover: (webhookId, since) => call('POST', `/v2/webhooks/${id(webhookId)}/recover`, { since }),
    listDeliveries: (webhookId, { status, offset = 0, size = 20 } = {}) =>
      call('GET', `/v2/webhooks/${id(webhookId)}/deliveries${query({ status, offset, size })}`),
    getDelivery: (webhookId, deliveryId) =>
      call('GET', `/v2/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}`),
    retryDelivery: (webhookId, deliveryId) =>
      call('POST', `/v2/webhooks/${id(webhookId)}/deliveries/${id(deliveryId)}/retry`),
  };
}

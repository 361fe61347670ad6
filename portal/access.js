// Whether the signed-in token may change things. A portal session does not say its role, so
// the portal asks with a write that changes nothing: recovering what failed since a date that
// has not come. An admin token is answered 202 (nothing queued), a read token 403.
const NEVER = '9999-12-31T23:59:59Z';

export async function learnWriteAccess(portal, webhookId) {
  if (portal.canWrite !== null || webhookId === undefined) return portal.canWrite;
  try {
    await portal.client.recover(webhookId, NEVER);
    portal.canWrite = true;
  } catch (error) {
    if (error.status !== 403) throw error;
    portal.canWrite = false;
  }
  return portal.canWrite;
}

// Offered unless the token is known to only read.
export const mayWrite = (portal) => portal.canWrite !== false;

// Whether the signed-in token may change things: its role, as GET /portal/session told it.
export const mayWrite = (portal) => portal.session?.role === 'admin';

// How the portal words webhook and delivery facts.
import { h } from './dom.js';

export function scopeText(webhook) {
  const devices = webhook.deviceIds || [];
  const groups = webhook.deviceGroupIds || [];
  if (devices.length === 0 && groups.length === 0) return 'Every device of the organization';
  const parts = [];
  if (devices.length) parts.push(`Devices ${devices.join(', ')}`);
  if (groups.length) parts.push(`Groups ${groups.join(', ')}`);
  return parts.join(' · ');
}

export function statusBadge(status) {
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z]/g, '')}` }, status);
}

export function outcomeText(delivery) {
  if (!delivery) return 'No delivery yet';
  const code = delivery.lastStatusCode ? ` (HTTP ${delivery.lastStatusCode})` : '';
  const error = delivery.lastError && !delivery.lastStatusCode ? ` (${delivery.lastError})` : '';
  return `${delivery.status}${code}${error}`;
}

/** @type {import('hookd-api').components['schemas']['Topic'][]} */
export const TOPICS = [
  'DeviceActivationEvents',
  'DeviceDeactivationEvents',
  'DeviceStatusEvents',
  'DeviceTamperEvents',
];

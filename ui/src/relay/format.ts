import type { ContactView, SessionChannel } from '../api';

const CHANNEL_NAMES: Record<SessionChannel, string> = {
  email: 'Email',
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  web: 'Web chat',
  phone: 'Phone',
};

/** "WhatsApp", "SMS", ... as Zendesk's own channel names read. */
export function channelName(channel: SessionChannel): string {
  return CHANNEL_NAMES[channel];
}

/** Who the contact is, in one line: the name, else how to reach them. */
export function contactName(contact: ContactView): string {
  return contact.name ?? contact.email ?? contact.phone ?? contact.externalId ?? 'Unknown contact';
}

/** How to reach the contact, when the name is shown above it; `null` when the name is all there is. */
export function contactReach(contact: ContactView): string | null {
  const reach = contact.email ?? contact.phone ?? (contact.externalId === null ? null : `ID ${contact.externalId}`);
  return contact.name === null || reach === contact.name ? null : reach;
}

/** A turn's time: "14:05" in the admin's locale. An unreadable value is shown as received rather than hidden. */
export function clockTime(rfc3339: string): string {
  const moment = new Date(rfc3339);
  return Number.isNaN(moment.getTime())
    ? rfc3339
    : moment.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** When a session last changed: the time today, else the date and time. */
export function lastChanged(rfc3339: string, now: Date = new Date()): string {
  const moment = new Date(rfc3339);
  if (Number.isNaN(moment.getTime())) {
    return rfc3339;
  }
  return moment.toDateString() === now.toDateString()
    ? clockTime(rfc3339)
    : moment.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

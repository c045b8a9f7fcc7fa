/** Sample sessions shaped like the `list_sessions` and `get_session` answers. */
import type { SessionDetail, SessionLine, SessionsList } from '../api';

export const MAYA: SessionLine = {
  id: '0b8f6c1e-2f4a-4c7e-9d3b-5a1e2f3c4d5e',
  contact: { name: 'Maya Lindqvist', email: 'maya.lindqvist@example.com', phone: null, externalId: null },
  channel: 'email',
  mode: 'handoff',
  turns: 4,
  humanActive: false,
  ticketId: 1042,
  handoff: { state: 'done', reason: null },
  updatedAt: '2026-11-24T09:31:00Z',
};

export const LEO: SessionLine = {
  id: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
  contact: { name: null, email: null, phone: '+14155550123', externalId: null },
  channel: 'whatsapp',
  mode: 'handoff',
  turns: 2,
  humanActive: false,
  ticketId: null,
  handoff: { state: 'pending', reason: 'Zendesk is rate limiting: retrying in 40 s' },
  updatedAt: '2026-11-24T09:40:00Z',
};

export const NOOR: SessionLine = {
  id: '1a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
  contact: { name: 'Noor Haddad', email: null, phone: null, externalId: 'crm-77' },
  channel: 'sms',
  mode: 'assist',
  turns: 6,
  humanActive: true,
  ticketId: 1043,
  handoff: { state: 'failed', reason: 'Zendesk refused the ticket: Requester is suspended' },
  updatedAt: '2026-11-24T09:45:00Z',
};

export function list(sessions: SessionLine[], queue: SessionsList['queue'] = { state: 'here', reason: null }): SessionsList {
  return { sessions, queue };
}

export const MAYA_DETAIL: SessionDetail = {
  ...MAYA,
  turns: [
    { seq: 0, role: 'customer', text: 'Where is my parcel? Order #48213.', at: '2026-11-24T09:22:00Z' },
    { seq: 1, role: 'ai', text: 'The carrier last scanned it on March 5th.', at: '2026-11-24T09:23:00Z' },
    { seq: 2, role: 'customer', text: 'Can you send a replacement?', at: '2026-11-24T09:26:00Z' },
    { seq: 3, role: 'ai', text: 'I am passing you to a colleague.', at: '2026-11-24T09:27:00Z' },
  ],
  summary: 'Order #48213 has not arrived; the customer wants a replacement or a refund.',
  sentiment: 'negative',
  language: 'en',
  createdAt: '2026-11-24T09:22:00Z',
};

/** Noor's conversation after a rep replied in Zendesk: the reply is on the session and the AI is quiet. */
export const NOOR_DETAIL: SessionDetail = {
  ...NOOR,
  turns: [
    { seq: 0, role: 'customer', text: 'My card was charged twice.', at: '2026-11-24T09:40:00Z' },
    { seq: 1, role: 'ai', text: 'Let me get a colleague.', at: '2026-11-24T09:41:00Z' },
    { seq: 2, role: 'agent', text: 'Hi Noor, I refunded the second charge.', at: '2026-11-24T09:45:00Z' },
  ],
  summary: null,
  sentiment: null,
  language: null,
  createdAt: '2026-11-24T09:40:00Z',
};

/** Sample answers of the relay, setup and status bar commands, shaped like the contract. */
import type {
  Checklist,
  ChecklistItem,
  DeliveryView,
  ManualGuide,
  RelayOverview,
  StatusBarView,
} from '../api';

export const REDACTED_URL = 'http://127.0.0.1:8750/zendesk/01JD6X0H1W4Q7N3T2V5B8C9D0E/k1.…Xy9z';
export const WHOLE_URL =
  'http://127.0.0.1:8750/zendesk/01JD6X0H1W4Q7N3T2V5B8C9D0E/k1.Q2hlY2tzdW1zQXJlTm90U2VjcmV0c0J1dFRoaXNJc1Xy9z';

export const ACCEPTED: DeliveryView = {
  id: 7,
  receivedAt: '2026-11-24T09:41:05Z',
  verdict: 'accepted',
  reason: null,
  signed: true,
  ticketId: 1042,
  state: 'done',
  outcome: '1 reply delivered to session 0b8f6c1e-2f4a-4c7e-9d3b-5a1e2f3c4d5e',
  duplicates: 1,
};

export const REFUSED: DeliveryView = {
  id: 6,
  receivedAt: '2026-11-24T09:40:00Z',
  verdict: 'rejected',
  reason: "the URL's tag does not match (a forged or mistyped URL)",
  signed: false,
  ticketId: null,
  state: 'rejected',
  outcome: null,
  duplicates: 0,
};

export function overview(patch: Partial<RelayOverview> = {}): RelayOverview {
  return {
    relay: { state: 'stopped', address: null, reason: null },
    listenAddress: '127.0.0.1:8750',
    publicUrl: 'http://127.0.0.1:8750',
    publicUrlIsLocal: true,
    startsWithApp: true,
    deliveries: [],
    queue: { state: 'here', reason: null },
    ...patch,
  };
}

export const RUNNING = { state: 'running' as const, address: '127.0.0.1:8750', reason: null };

function item(id: string, label: string, state: ChecklistItem['state'], evidence: string, fix: ChecklistItem['fix'] = null): ChecklistItem {
  return { id, label, state, evidence, fix };
}

const SETUP_FIX = { id: 'setup', command: 'handoff setup', scope: 'all', opensInZendesk: true };

/** A connected account nobody set up: the webhook and trigger missing, the relay unreachable. */
export const NOT_SET_UP: Checklist = {
  items: [
    item('connected', 'Connected to Zendesk', 'ok', 'OAuth (client zdg-handoff, client credentials) as Ana Admin (admin) on acme.zendesk.com'),
    item('webhook_exists', 'Webhook exists', 'failing', 'not set up: Zendesk has no webhook to call the relay', SETUP_FIX),
    item('trigger_exists', 'Trigger exists', 'failing', 'not set up: nothing tells the relay about reps\u2019 replies', SETUP_FIX),
    item('relay_reachable', "Zendesk can reach the relay", 'failing', "Zendesk's test call could not reach http://127.0.0.1:8750 (HTTP 502): start the relay", { id: 'serve', command: 'handoff serve', scope: null, opensInZendesk: false }),
    item('verification', 'Last end-to-end verification', 'unknown', 'never run', { id: 'verify', command: 'handoff verify', scope: null, opensInZendesk: false }),
  ],
  summary: { ok: 1, warning: 0, failing: 3, unknown: 1, zendeskUnreachable: false, refreshedAt: '2026-11-24T09:30:00Z' },
  refreshedAt: '2026-11-24T09:30:00Z',
};

/** Set up, with the trigger deactivated in Zendesk, Zendesk's notifying trigger doubling replies, and a local URL. */
export const BROKEN: Checklist = {
  items: [
    item('connected', 'Connected to Zendesk', 'ok', 'API token (legacy) as Ana Admin (admin) on acme.zendesk.com'),
    item('webhook_exists', 'Webhook exists', 'ok', '“Zendesk Handoff Console relay” (01JD), made by setup'),
    item('trigger_active', 'Trigger is active', 'failing', 'deactivated in Zendesk: no reply reaches the relay', { id: 'setup:trigger', command: 'handoff setup --fix trigger', scope: 'trigger', opensInZendesk: true }),
    item('relay_reachable', "Zendesk can reach the relay", 'failing', 'the public URL http://127.0.0.1:8750 is a loopback address: Zendesk cannot call it', { id: 'config:public-url', command: 'handoff config set public-url https://relay.example.com, then handoff setup', scope: null, opensInZendesk: false }),
    item('double_delivery', 'No reply is delivered twice', 'warning', '“Notify requester of comment update” emails the requester every public reply', { id: 'setup:double-delivery', command: 'handoff setup --fix double-delivery', scope: 'double-delivery', opensInZendesk: true }),
  ],
  summary: { ok: 2, warning: 1, failing: 2, unknown: 0, zendeskUnreachable: false, refreshedAt: '2026-11-24T09:35:00Z' },
  refreshedAt: '2026-11-24T09:35:00Z',
};

export const ALL_GREEN: Checklist = {
  items: BROKEN.items.map((entry) => ({ ...entry, state: 'ok', fix: null })),
  summary: { ok: 5, warning: 0, failing: 0, unknown: 0, zendeskUnreachable: false, refreshedAt: '2026-11-24T09:36:00Z' },
  refreshedAt: '2026-11-24T09:36:00Z',
};

export const GUIDE: ManualGuide = {
  demo: false,
  steps: [
    {
      title: 'Register the webhook',
      instruction: 'In Admin Center, open Apps and integrations → Webhooks, click Create webhook.',
      open: 'https://acme.zendesk.com/admin/apps-integrations/webhooks/webhooks',
      fields: [
        { label: 'Name', value: 'Zendesk Handoff Console relay', secret: false },
        { label: 'Endpoint URL', value: REDACTED_URL, secret: true },
        { label: 'Request method', value: 'POST', secret: false },
      ],
    },
    {
      title: 'Create the trigger that calls it',
      instruction: 'In Admin Center, open Objects and rules → Triggers, click Add trigger.',
      open: 'https://acme.zendesk.com/admin/objects-rules/rules/triggers',
      fields: [{ label: 'JSON body', value: '{\n  "ticket_id": "{{ticket.id}}"\n}', secret: false }],
    },
    { title: "Let the relay check Zendesk's signature", instruction: 'Run `handoff setup --fix signing-secret`.', open: null, fields: [] },
  ],
};

export function status(patch: Partial<StatusBarView> = {}): StatusBarView {
  return {
    relay: { state: 'stopped', address: null, reason: null },
    queue: { state: 'here', reason: null },
    checklist: null,
    ...patch,
  };
}

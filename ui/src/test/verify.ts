/** Sample verification steps and results, shaped like the `verify_now` and `last_verification` answers. */
import type { FixView, Verification, VerifyStep, VerifyStepId } from '../api';
import { AGENT } from './ipc';

const LABELS: Record<VerifyStepId, string> = {
  credentials: 'Re-verify the credentials',
  setup: 'Check setup',
  session: 'Create a verification session',
  handoff: 'Hand it off',
  ticket: 'The ticket is in Zendesk as specified',
  reply: 'A rep replies publicly',
  webhook: 'The signed webhook reaches the relay',
  session_reply: 'The reply is on the session, a human owns it',
  cleanup: 'Clean up',
};

export function step(id: VerifyStepId, state: VerifyStep['state'], detail: string, durationMs: number | null = null): VerifyStep {
  return { id, label: LABELS[id], state, detail, durationMs, cause: null, fix: null, action: null };
}

export const REPAIR_TRIGGER: FixView = {
  id: 'setup:trigger',
  command: 'handoff setup --fix trigger',
  scope: 'trigger',
  opensInZendesk: true,
};

/** Every step passed, in order; `[credentials, setup, session, handoff, ...]`. */
export const PASSED_STEPS = [
  step('credentials', 'passed', 'Zendesk accepts the OAuth token of Ana Admin (admin)', 41),
  step('setup', 'passed', '15 of 16 checklist items are fine, 1 not judged yet (6 Zendesk requests)', 212),
  step('session', 'passed', 'Session 0b8f6c1e (contact verify-1@example.com, web chat)', 4),
  step('handoff', 'passed', 'The worker created ticket #1042', 310),
  step('ticket', 'passed', 'external_id is the session, the description has the summary and the View session link', 35),
  step('reply', 'passed', 'Ana Agent (#381626720, agent) replied publicly through the API, as the author of the comment', 52),
  step('webhook', 'passed', 'Delivery #7 arrived signed by Zendesk and was stored before the relay answered', 1480),
  step('session_reply', 'passed', 'Agent turn #2 on the session; the session is human-active, so the AI stays quiet', 90),
  step('cleanup', 'passed', 'Deleted ticket #1042 and the contact\u2019s user #99', 61),
] as const satisfies readonly VerifyStep[];

export const PASSED: Verification = {
  passed: true,
  startedAt: '2026-11-24T09:50:00Z',
  finishedAt: '2026-11-24T09:50:02Z',
  wallMs: 2290,
  steps: [...PASSED_STEPS],
  relay: { kind: 'running', address: '127.0.0.1:8750' },
  ticketId: 1042,
  rep: AGENT,
};

const SETUP_FAILED: VerifyStep = {
  ...step('setup', 'failed', 'Trigger body is failing', 230),
  cause: 'Trigger body: the body uses {{ticket.latest_comment}}, which also sends internal notes',
  fix: 'Run `handoff setup --fix trigger`, then verify again.',
  action: REPAIR_TRIGGER,
};

export const FAILED: Verification = {
  passed: false,
  startedAt: '2026-11-24T10:05:00Z',
  finishedAt: '2026-11-24T10:05:01Z',
  wallMs: 300,
  steps: [
    step('credentials', 'passed', 'Zendesk accepts the OAuth token of Ana Admin (admin)', 40),
    SETUP_FAILED,
    ...(['session', 'handoff', 'ticket', 'reply', 'webhook', 'session_reply'] as const).map((id) =>
      step(id, 'skipped', 'not run: the step \u201CCheck setup\u201D failed'),
    ),
    step('cleanup', 'skipped', 'nothing was made in Zendesk'),
  ],
  relay: { kind: 'running', address: '127.0.0.1:8750' },
  ticketId: null,
  rep: null,
};

/** The last verification as kept: no wall time, relay, ticket or rep. */
export const KEPT_FAILED: Verification = { ...FAILED, wallMs: null, relay: null, rep: null };

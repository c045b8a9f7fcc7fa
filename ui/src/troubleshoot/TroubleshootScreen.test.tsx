import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '@tauri-apps/api/core';
import type { ConnectionView, Finding, SetupEventView, SymptomView } from '../api';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { CONNECTION, callsOf, channelSender, deferred, fail, mockCommands } from '../test/ipc';
import { TroubleshootScreen } from './TroubleshootScreen';

const SYMPTOMS: SymptomView[] = [
  { id: 'credentials-failing', title: 'Zendesk refuses the credentials' },
  { id: 'replies-not-reaching', title: "Reps' replies do not reach the contact" },
  { id: 'internal-notes-reaching', title: 'Internal notes reach the contact' },
  { id: 'rate-limited', title: "Zendesk's rate limit is hit" },
];

const TRIGGER_BODY =
  'Trigger body uses latest_public_comment: the body sends {{ticket.latest_comment}}, which includes internal notes';

const REPLIES: Finding = {
  symptom: SYMPTOMS[1] ?? { id: '', title: '' },
  found: true,
  probes: [
    { name: 'credentials', outcome: 'ok', evidence: 'Zendesk accepts the OAuth token of Ana Admin (admin)' },
    { name: 'setup', outcome: 'problem', evidence: TRIGGER_BODY },
    { name: 'invocation-log', outcome: 'unknown', evidence: 'no delivery since the reply' },
  ],
  cause: TRIGGER_BODY,
  fix: 'Run `handoff setup --fix trigger`.',
  action: {
    kind: 'repair',
    fix: { id: 'setup:trigger', command: 'handoff setup --fix trigger', scope: 'trigger', opensInZendesk: true },
    url: null,
    command: 'handoff setup --fix trigger',
  },
  lookedAt: '2026-11-24T10:00:00Z',
};

const NOTES: Finding = {
  symptom: SYMPTOMS[2] ?? { id: '', title: '' },
  found: true,
  probes: [{ name: 'other-triggers', outcome: 'problem', evidence: '“Escalate” (42) notify our webhook with {{ticket.latest_comment}}' }],
  cause: '“Escalate” (42) (not made by setup) send our webhook {{ticket.latest_comment}}, which includes internal notes',
  fix: 'In Admin Center, change those triggers to {{ticket.latest_public_comment}}.',
  action: {
    kind: 'open-in-zendesk',
    fix: null,
    url: 'https://acme.zendesk.com/admin/objects-rules/rules/triggers',
    command: null,
  },
  lookedAt: '2026-11-24T10:00:00Z',
};

const HEALTHY: Finding = {
  symptom: SYMPTOMS[3] ?? { id: '', title: '' },
  found: false,
  probes: [{ name: 'rate-limit', outcome: 'ok', evidence: '680 of 700 requests left this minute' }],
  cause: null,
  fix: null,
  action: null,
  lookedAt: '2026-11-24T10:00:00Z',
};

function reconnect(): Finding {
  return {
    symptom: SYMPTOMS[0] ?? { id: '', title: '' },
    found: true,
    probes: [{ name: 'credentials', outcome: 'problem', evidence: 'Zendesk refused the token (401)' }],
    cause: 'the OAuth grant was revoked in Admin Center',
    fix: 'Sign in again.',
    action: { kind: 'reconnect', fix: null, url: null, command: 'handoff connect' },
    lookedAt: '2026-11-24T10:00:00Z',
  };
}

function connected(connection: ConnectionView | null): ConnectionState {
  return { state: 'ready', connection };
}

function renderTroubleshoot(connection: ConnectionState = connected(CONNECTION)) {
  const user = userEvent.setup();
  const onNavigate = vi.fn();
  const onReconnect = vi.fn();
  const view = render(
    <Theme>
      <TroubleshootScreen connection={connection} onNavigate={onNavigate} onReconnect={onReconnect} />
    </Theme>,
  );
  return { user, onNavigate, onReconnect, ...view };
}

const FINDINGS: Record<string, Finding> = {
  'credentials-failing': reconnect(),
  'replies-not-reaching': REPLIES,
  'internal-notes-reaching': NOTES,
  'rate-limited': HEALTHY,
};

describe('Troubleshoot screen', { timeout: 20_000 }, () => {
  it('lists the symptoms as cards, each closed until opened', async () => {
    mockCommands({ troubleshoot_symptoms: () => SYMPTOMS });
    renderTroubleshoot();
    const cards = within(await screen.findByRole('list', { name: 'Symptoms' })).getAllByRole('listitem');
    expect(cards.map((card) => card.querySelector('h2')?.textContent)).toEqual(SYMPTOMS.map((s) => s.title));
    expect(screen.queryByTestId('finding')).toBeNull();
    expect(screen.getByTestId('symptom-open-replies-not-reaching').getAttribute('aria-expanded')).toBe('false');
  });

  it('opening a symptom runs its probes, then shows what each saw, the cause and the fix; Repair runs it', async () => {
    const probing = deferred<Finding>();
    const spy = mockCommands({
      troubleshoot_symptoms: () => SYMPTOMS,
      diagnose_symptom: () => probing.promise,
      run_setup: (args) => {
        const sender = channelSender(args.onEvent as Channel<SetupEventView>);
        sender.send({ kind: 'planned', steps: [{ action: 'update_trigger', summary: 'Repair the trigger', writesZendesk: true }] });
        sender.send({ kind: 'step', index: 0, state: 'done', detail: 'Repaired the trigger' });
        return { scope: 'trigger', changed: true, steps: [], done: [] };
      },
    });
    const { user } = renderTroubleshoot();
    await user.click(await screen.findByTestId('symptom-open-replies-not-reaching'));
    expect(screen.getByTestId('finding-looking').textContent).toContain('Looking at the account');
    expect(callsOf(spy, 'diagnose_symptom')).toEqual([{ symptom: 'replies-not-reaching' }]);
    probing.resolve(REPLIES);

    const finding = await screen.findByTestId('finding');
    expect(finding.dataset.found).toBe('true');
    expect(screen.getByTestId('probe-credentials').dataset.outcome).toBe('ok');
    expect(screen.getByTestId('probe-setup').dataset.outcome).toBe('problem');
    expect(screen.getByTestId('probe-invocation-log').textContent).toContain('Not judged');
    expect(screen.getByTestId('finding-cause').textContent).toContain('latest_comment');
    expect(screen.getByTestId('finding-fix').textContent).toContain('handoff setup --fix trigger');

    const action = screen.getByTestId('finding-action');
    expect(action.textContent).toBe('Repair');
    await user.click(action);
    await waitFor(() => {
      expect(screen.getByTestId('setup-run').dataset.finished).toBe('done');
    });
    expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['trigger']);

    await user.click(screen.getByTestId('finding-look-again'));
    expect(callsOf(spy, 'diagnose_symptom')).toHaveLength(2);
  });

  it('opens the Admin Center page the finding names through the app', async () => {
    const spy = mockCommands({
      troubleshoot_symptoms: () => SYMPTOMS,
      diagnose_symptom: (args) => FINDINGS[String(args.symptom)],
      open_admin_page: () => null,
    });
    const { user } = renderTroubleshoot();
    await user.click(await screen.findByTestId('symptom-open-internal-notes-reaching'));
    const action = await screen.findByTestId('finding-action');
    expect(action.textContent).toBe('Open in Zendesk');
    await user.click(action);
    expect(callsOf(spy, 'open_admin_page')).toEqual([{ url: 'https://acme.zendesk.com/admin/objects-rules/rules/triggers' }]);
  });

  it('sends a refused sign-in to Connect, and says when nothing explains a symptom', async () => {
    mockCommands({ troubleshoot_symptoms: () => SYMPTOMS, diagnose_symptom: (args) => FINDINGS[String(args.symptom)] });
    const { user, onReconnect } = renderTroubleshoot();
    await user.click(await screen.findByTestId('symptom-open-credentials-failing'));
    await user.click(await screen.findByTestId('finding-action'));
    expect(onReconnect).toHaveBeenCalledTimes(1);

    await user.click(screen.getByTestId('symptom-open-rate-limited'));
    expect((await screen.findByTestId('finding-healthy')).textContent).toContain('Nothing here explains it');
    expect(screen.queryByTestId('symptom-open-credentials-failing')?.getAttribute('aria-expanded')).toBe('false');
  });

  it('says why a symptom could not be looked into', async () => {
    mockCommands({
      troubleshoot_symptoms: () => SYMPTOMS,
      diagnose_symptom: () => fail('keychain_unavailable', 'the keychain did not answer: unlock it, then try again'),
    });
    const { user } = renderTroubleshoot();
    await user.click(await screen.findByTestId('symptom-open-replies-not-reaching'));
    expect((await screen.findByTestId('finding-error')).textContent).toContain('the keychain did not answer');
  });

  it('saves the diagnostics bundle into the data folder and opens that folder', async () => {
    let saves = 0;
    const spy = mockCommands({
      troubleshoot_symptoms: () => SYMPTOMS,
      save_diagnostics_bundle: () =>
        saves++ === 0
          ? { path: '/home/ana/.local/share/cx.handoff.console/diagnostics/handoff-diagnostics-20261124T100000Z.zip', files: ['manifest.json', 'settings.json'], bytes: 20480 }
          : fail('storage', 'the bundle could not be written to /home/ana/diagnostics: disk full; pick another place'),
      open_folder: () => null,
    });
    const { user } = renderTroubleshoot();
    await user.click(await screen.findByTestId('troubleshoot-save-bundle'));
    const saved = await screen.findByTestId('troubleshoot-bundle-saved');
    expect(screen.getByTestId('troubleshoot-bundle-path').textContent).toContain('handoff-diagnostics-20261124T100000Z.zip');
    expect(saved.textContent).toContain('2 files, 20 KB');
    await user.click(screen.getByTestId('troubleshoot-open-bundle-folder'));
    expect(callsOf(spy, 'open_folder')).toEqual([{ folder: 'diagnostics' }]);

    await user.click(screen.getByTestId('troubleshoot-save-bundle'));
    expect((await screen.findByTestId('troubleshoot-bundle-error')).textContent).toContain('disk full');
  });

  it('without a connection, keeps the bundle and says the symptoms need an account', async () => {
    mockCommands({ troubleshoot_symptoms: () => SYMPTOMS });
    renderTroubleshoot(connected(null));
    expect((await screen.findByTestId('troubleshoot-not-connected')).textContent).toContain('connect one on the Connect screen');
    expect(screen.getByTestId<HTMLButtonElement>('symptom-open-replies-not-reaching').disabled).toBe(true);
    expect(screen.getByTestId('troubleshoot-save-bundle')).toBeDefined();
  });
});

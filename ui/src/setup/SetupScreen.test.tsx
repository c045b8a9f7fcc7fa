import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '@tauri-apps/api/core';
import type { Checklist, ConnectionView, SetupEventView } from '../api';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { CONNECTION, DEMO_CONNECTION, callsOf, channelSender, deferred, fail, mockCommands } from '../test/ipc';
import { ALL_GREEN, BROKEN, GUIDE, NOT_SET_UP, WHOLE_URL } from '../test/relay';
import { SetupScreen } from './SetupScreen';

function connected(connection: ConnectionView | null): ConnectionState {
  return { state: 'ready', connection };
}

function renderSetup(connection: ConnectionState = connected(CONNECTION), refreshEveryMs = 30_000) {
  const user = userEvent.setup();
  const onNavigate = vi.fn();
  const view = render(
    <Theme>
      <SetupScreen connection={connection} onNavigate={onNavigate} refreshEveryMs={refreshEveryMs} />
    </Theme>,
  );
  return { user, onNavigate, ...view };
}

/** A `run_setup` double: streams `events` on the command's channel, then answers with the report. */
function streaming(events: SetupEventView[], scope = 'all') {
  return (args: Record<string, unknown>) => {
    const sender = channelSender(args.onEvent as Channel<SetupEventView>);
    for (const event of events) {
      sender.send(event);
    }
    return { scope, changed: true, steps: [], done: [] };
  };
}

const CREATE_EVENTS: SetupEventView[] = [
  { kind: 'reading' },
  {
    kind: 'planned',
    steps: [
      { action: 'create_webhook', summary: 'Create the webhook', writesZendesk: true },
      { action: 'create_trigger', summary: 'Create the trigger', writesZendesk: true },
    ],
  },
  { kind: 'step', index: 0, state: 'running', detail: 'Create the webhook' },
  { kind: 'step', index: 0, state: 'done', detail: 'Created the webhook 01JD' },
  { kind: 'step', index: 1, state: 'running', detail: 'Create the trigger' },
  { kind: 'step', index: 1, state: 'done', detail: 'Created the trigger 360' },
];

describe('Setup screen', () => {
  it('asks for a connection first', () => {
    mockCommands({});
    renderSetup(connected(null));
    expect(screen.getByTestId('setup-not-connected').textContent).toContain('Connect screen');
  });

  it('lists every item with its mark, evidence and fix, the counts and when it was refreshed', async () => {
    mockCommands({ setup_checklist: () => NOT_SET_UP });
    renderSetup();

    const list = await screen.findByTestId('setup-checklist');
    expect(within(list).getAllByRole('listitem').map((row) => row.dataset.testid)).toEqual(
      NOT_SET_UP.items.map((item) => `checklist-item-${item.id}`),
    );
    const webhook = screen.getByTestId('checklist-item-webhook_exists');
    expect(webhook.dataset.state).toBe('failing');
    expect(webhook.textContent).toContain('Webhook exists: Failing');
    expect(webhook.textContent).toContain('Zendesk has no webhook to call the relay');
    expect(screen.getByTestId('checklist-fix-webhook_exists').textContent).toBe('Run setup');
    expect(screen.getByTestId('checklist-fix-relay_reachable').textContent).toBe('Start the relay');
    expect(screen.getByTestId('checklist-fix-verification').textContent).toBe('Open Verify');
    expect(screen.queryByTestId('checklist-fix-connected')).toBeNull();
    expect(screen.getByTestId('setup-summary').textContent).toBe('1 OK3 failing1 unknown');
    expect(screen.getByTestId('setup-refreshed-at').textContent).toContain('Last refreshed');
    expect(screen.getByTestId('setup-refreshed-at').getAttribute('datetime')).toBe('2026-11-24T09:30:00Z');
  });

  it('"Create for me" streams each step, then refreshes the checklist, which no longer offers it', async () => {
    let checklist: Checklist = NOT_SET_UP;
    const run = deferred<unknown>();
    let sendRest: () => void = () => undefined;
    const spy = mockCommands({
      setup_checklist: () => checklist,
      run_setup: (args) => {
        const sender = channelSender(args.onEvent as Channel<SetupEventView>);
        CREATE_EVENTS.slice(0, 3).forEach((event) => {
          sender.send(event);
        });
        sendRest = () => {
          CREATE_EVENTS.slice(3).forEach((event) => {
            sender.send(event);
          });
        };
        return run.promise;
      },
    });
    const { user } = renderSetup();

    expect((await screen.findByTestId('setup-create-card')).textContent).toContain('Create the webhook and the trigger');
    await user.click(screen.getByTestId('setup-create'));
    await waitFor(() => {
      expect(screen.getAllByTestId('setup-run-step').map((step) => step.dataset.state)).toEqual(['running', 'planned']);
    });
    expect(screen.getByTestId('setup-run').textContent).toContain('Creating the webhook and the trigger');
    expect(screen.getByTestId('checklist-fix-webhook_exists').getAttribute('aria-disabled')).toBe('true');

    checklist = ALL_GREEN;
    sendRest();
    run.resolve({ scope: 'all', changed: true, steps: [], done: [] });
    await waitFor(() => {
      expect(screen.getByTestId('setup-run').dataset.finished).toBe('done');
    });
    expect(screen.getAllByTestId('setup-run-step').map((step) => step.textContent)).toEqual([
      '\u2713Created the webhook 01JD',
      '\u2713Created the trigger 360',
    ]);
    expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['all']);
    await waitFor(() => {
      expect(screen.queryByTestId('setup-create-card')).toBeNull();
    });
    expect(screen.getByTestId('setup-summary').textContent).toBe('5 OK');
  });

  it('repairs one item with its scope, and says why setup stopped', async () => {
    const spy = mockCommands({
      setup_checklist: () => BROKEN,
      run_setup: (args) => {
        channelSender(args.onEvent as Channel<SetupEventView>).send({ kind: 'reading' });
        return fail('zendesk', 'could not read the trigger: Zendesk is down; run it again');
      },
    });
    const { user } = renderSetup();

    await user.click(await screen.findByTestId('checklist-fix-trigger_active'));
    expect((await screen.findByTestId('setup-run-error')).textContent).toContain('Zendesk is down');
    expect(screen.getByTestId('setup-run').dataset.finished).toBe('failed');
    expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['trigger']);
    expect(screen.queryByTestId('setup-create-card')).toBeNull();
  });

  it("asks consent before changing Zendesk's own triggers, and changes nothing when cancelled", async () => {
    const spy = mockCommands({
      setup_checklist: () => BROKEN,
      run_setup: streaming([{ kind: 'reading' }], 'double-delivery'),
    });
    const { user } = renderSetup();

    await user.click(await screen.findByTestId('checklist-fix-double_delivery'));
    expect(screen.getByTestId('setup-consent').textContent).toContain("Change Zendesk's own triggers?");
    await user.click(screen.getByTestId('setup-consent-cancel'));
    expect(screen.queryByTestId('setup-consent')).toBeNull();
    expect(callsOf(spy, 'run_setup')).toHaveLength(0);

    await user.click(screen.getByTestId('checklist-fix-double_delivery'));
    await user.click(screen.getByTestId('setup-consent-confirm'));
    await waitFor(() => {
      expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['double-delivery']);
    });
  });

  it('fixes that are not setup navigate or explain', async () => {
    mockCommands({ setup_checklist: () => NOT_SET_UP });
    const { user, onNavigate } = renderSetup();
    await user.click(await screen.findByTestId('checklist-fix-relay_reachable'));
    expect(onNavigate).toHaveBeenCalledWith('relay');
  });

  it('sends a public URL Zendesk cannot reach to Settings, where it is set', async () => {
    mockCommands({ setup_checklist: () => BROKEN });
    const { user, onNavigate } = renderSetup();
    const fix = await screen.findByTestId('checklist-fix-relay_reachable');
    expect(fix.textContent).toBe('Set the public URL');
    await user.click(fix);
    expect(onNavigate).toHaveBeenCalledWith('settings');
  });

  it('refreshes on demand and by itself while shown, and stops once left', async () => {
    const spy = mockCommands({ setup_checklist: () => BROKEN });
    const { user, unmount } = renderSetup(connected(CONNECTION), 40);

    await screen.findByTestId('setup-checklist');
    await waitFor(() => {
      expect(callsOf(spy, 'setup_checklist').length).toBeGreaterThanOrEqual(3);
    });
    const before = callsOf(spy, 'setup_checklist').length;
    await user.click(screen.getByTestId('setup-refresh'));
    await waitFor(() => {
      expect(callsOf(spy, 'setup_checklist').length).toBeGreaterThan(before);
    });
    unmount();
    const after = callsOf(spy, 'setup_checklist').length;
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(callsOf(spy, 'setup_checklist').length).toBe(after);
  });

  it('is reachable by keyboard: the tabs, Refresh, Create for me, then each fix', async () => {
    const spy = mockCommands({ setup_checklist: () => NOT_SET_UP, run_setup: streaming([]) });
    const { user } = renderSetup();

    await screen.findByTestId('setup-create');
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('setup-tab-checklist'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('setup-refresh'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('setup-create'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('checklist-fix-webhook_exists'));
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['all']);
    });
  });
});

describe('Manual setup', () => {
  it('shows each step with its values; copies plain values as text and the URL through the app', async () => {
    const spy = mockCommands({
      setup_checklist: () => NOT_SET_UP,
      manual_setup: () => GUIDE,
      copy_text: () => null,
      copy_webhook_url: () => null,
      reveal_webhook_url: () => WHOLE_URL,
    });
    const { user } = renderSetup();

    await user.click(screen.getByTestId('setup-tab-manual'));
    const first = await screen.findByTestId('manual-step-1');
    expect(first.textContent).toContain('Register the webhook');
    expect(screen.getByTestId('manual-step-3').textContent).toContain('signing-secret');
    expect(screen.queryByTestId('manual-open-3')).toBeNull();
    expect(screen.getByTestId('manual-value-name').textContent).toBe('Zendesk Handoff Console relay');
    expect(screen.getByTestId('manual-value-json-body').tagName).toBe('PRE');

    await user.click(screen.getByTestId('manual-copy-name'));
    expect(callsOf(spy, 'copy_text')).toEqual([{ text: 'Zendesk Handoff Console relay' }]);
    expect((await screen.findByTestId('manual-action-done')).textContent).toBe('Name copied.');

    await user.click(screen.getByTestId('manual-copy-endpoint-url'));
    await waitFor(() => {
      expect(callsOf(spy, 'copy_webhook_url')).toEqual([{}]);
    });
    expect(callsOf(spy, 'copy_text')).toHaveLength(1);
    expect(document.body.textContent).not.toContain(WHOLE_URL);

    await user.click(screen.getByTestId('manual-reveal-endpoint-url'));
    await waitFor(() => {
      expect(screen.getByTestId('manual-value-endpoint-url').textContent).toBe(WHOLE_URL);
    });
    await user.click(screen.getByTestId('manual-reveal-endpoint-url'));
    expect(document.body.textContent).not.toContain(WHOLE_URL);
  });

  it("opens a step's Admin Center page through the app, and says why one did not open", async () => {
    const spy = mockCommands({
      setup_checklist: () => NOT_SET_UP,
      manual_setup: () => ({ ...GUIDE, demo: true }),
      open_admin_page: ({ url }) =>
        String(url).includes('triggers')
          ? fail('internal', 'the browser did not open it: open it by hand')
          : null,
    });
    const { user } = renderSetup(connected(DEMO_CONNECTION));

    await user.click(screen.getByTestId('setup-tab-manual'));
    expect((await screen.findByTestId('manual-demo-note')).textContent).toContain('no Admin Center');
    await user.click(screen.getByTestId('manual-open-1'));
    expect((await screen.findByTestId('manual-action-done')).textContent).toBe('Opened in your browser.');
    await user.click(screen.getByTestId('manual-open-2'));
    expect((await screen.findByTestId('manual-action-error')).textContent).toContain('open it by hand');
    expect(callsOf(spy, 'open_admin_page')).toEqual([
      { url: 'https://acme.zendesk.com/admin/apps-integrations/webhooks/webhooks' },
      { url: 'https://acme.zendesk.com/admin/objects-rules/rules/triggers' },
    ]);
  });
});

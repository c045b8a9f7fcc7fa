import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '@tauri-apps/api/core';
import type { ConnectionView, SetupEventView, Verification, VerifyEventView } from '../api';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { AGENT, CONNECTION, callsOf, channelSender, deferred, fail, mockCommands } from '../test/ipc';
import { FAILED, KEPT_FAILED, PASSED, PASSED_STEPS, step } from '../test/verify';
import { REP_LOOKUP_DEBOUNCE_MS } from './RepPicker';
import { VerifyScreen } from './VerifyScreen';

function connected(connection: ConnectionView | null): ConnectionState {
  return { state: 'ready', connection };
}

function renderVerify(connection: ConnectionState = connected(CONNECTION)) {
  const user = userEvent.setup();
  const onNavigate = vi.fn();
  const view = render(
    <Theme>
      <VerifyScreen connection={connection} onNavigate={onNavigate} />
    </Theme>,
  );
  return { user, onNavigate, ...view };
}

/** A `verify_now` double: streams `events`, then answers `result` once `until` settles. */
function streaming(events: VerifyEventView[], result: Verification, until: Promise<unknown> = Promise.resolve()) {
  return async (args: Record<string, unknown>) => {
    const sender = channelSender(args.onEvent as Channel<VerifyEventView>);
    for (const event of events) {
      sender.send(event);
    }
    await until;
    return result;
  };
}

describe('Verify screen', { timeout: 20_000 }, () => {
  it('says verification needs a connected account', () => {
    mockCommands({});
    renderVerify(connected(null));
    expect(screen.getByTestId('verify-not-connected').textContent).toContain('connect one on the Connect screen');
  });

  it('says when no verification ever ran, and offers Verify now with the default agent picked', async () => {
    mockCommands({ last_verification: () => null });
    renderVerify();
    expect((await screen.findByTestId('verify-never')).textContent).toContain('No verification has run');
    expect(screen.getByTestId('verify-run').textContent).toBe('Verify now');
    const auto = screen.getByTestId('verify-rep-auto');
    expect((auto as HTMLInputElement).checked).toBe(true);
    expect(auto.closest('div')?.textContent).toContain('The default agent, Ana Agent');
  });

  it('shows the last verification when it opens: when, failed, and the step with its cause and fix', async () => {
    mockCommands({ last_verification: () => KEPT_FAILED });
    renderVerify();
    const panel = await screen.findByTestId('verify-panel');
    expect(panel.textContent).toContain('Last verification');
    expect(screen.getByTestId('verify-when').getAttribute('dateTime')).toBe(KEPT_FAILED.startedAt);
    expect(screen.getByTestId('verify-outcome').textContent).toContain('Verification failed at \u201CCheck setup\u201D');
    expect(screen.getByTestId('verify-step-setup').dataset.state).toBe('failed');
    expect(screen.getByTestId('verify-cause').textContent).toContain('latest_comment');
    expect(screen.getByTestId('verify-fix').textContent).toContain('handoff setup --fix trigger');
    expect(screen.getByTestId('verify-step-duration-setup').textContent).toBe('230 ms');
    expect(screen.getByTestId('verify-step-handoff').dataset.state).toBe('skipped');
    expect(screen.queryByTestId('verify-step-duration-handoff')).toBeNull();
  });

  it('streams each step as it runs, with its time, then says it passed and names the rep', async () => {
    const finish = deferred<unknown>();
    const spy = mockCommands({
      last_verification: () => null,
      verify_now: streaming(
        [
          { kind: 'step', step: step('credentials', 'running', 'Asking Zendesk who the saved credentials are…') },
          { kind: 'step', step: PASSED_STEPS[0] },
          { kind: 'relay', relay: { kind: 'running', address: '127.0.0.1:8750' } },
          { kind: 'step', step: step('setup', 'running', 'Reading the webhook, the trigger and the relay…') },
        ],
        PASSED,
        finish.promise,
      ),
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');

    await user.click(screen.getByTestId('verify-run'));
    await waitFor(() => {
      expect(screen.getByTestId('verify-step-setup').dataset.state).toBe('running');
    });
    expect(screen.getByTestId('verify-run').textContent).toContain('Verifying');
    expect(screen.getByTestId('verify-run').getAttribute('aria-disabled')).toBe('true');
    expect(screen.getByTestId('verify-step-credentials').dataset.state).toBe('passed');
    expect(screen.getByTestId('verify-step-duration-credentials').textContent).toBe('41 ms');
    expect(screen.queryByTestId('verify-outcome')).toBeNull();

    finish.resolve(null);
    const outcome = await screen.findByTestId('verify-outcome');
    expect(outcome.dataset.passed).toBe('true');
    expect(outcome.textContent).toContain('Verified end to end in 2.3 s');
    expect(outcome.textContent).toContain('Ana Agent replied publicly');
    const steps = within(screen.getByTestId('verify-steps')).getAllByRole('listitem');
    expect(steps.map((item) => item.dataset.state)).toEqual(Array(9).fill('passed'));
    expect(screen.getByTestId('verify-step-reply').textContent).toContain('Ana Agent (#381626720, agent) replied');
    expect(screen.getByTestId('verify-step-duration-webhook').textContent).toBe('1.5 s');
    expect(callsOf(spy, 'verify_now')[0]?.rep).toEqual({ kind: 'auto', agentId: null });
  });

  it('on a failure: Repair runs the fix, Open in Zendesk asks the app for the page, Re-run verifies again', async () => {
    let runs = 0;
    const spy = mockCommands({
      last_verification: () => null,
      verify_now: () => (runs++ === 0 ? FAILED : PASSED),
      run_setup: (args) => {
        const sender = channelSender(args.onEvent as Channel<SetupEventView>);
        sender.send({ kind: 'planned', steps: [{ action: 'update_trigger', summary: 'Repair the trigger', writesZendesk: true }] });
        sender.send({ kind: 'step', index: 0, state: 'done', detail: 'Repaired the trigger' });
        return { scope: 'trigger', changed: true, steps: [], done: [] };
      },
      open_fix_page: () => null,
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.click(screen.getByTestId('verify-run'));

    const action = await screen.findByTestId('verify-action');
    expect(action.textContent).toBe('Repair trigger');
    await user.click(screen.getByTestId('verify-open-zendesk'));
    expect(callsOf(spy, 'open_fix_page')).toEqual([{ fix: 'setup:trigger' }]);

    await user.click(action);
    expect((await screen.findByTestId('verify-repaired')).textContent).toContain('Run the verification again');
    expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['trigger']);
    expect(screen.getByTestId('setup-run').textContent).toContain('Repaired the trigger');

    await user.click(screen.getByTestId('verify-rerun'));
    await waitFor(() => {
      expect(screen.getByTestId('verify-outcome').dataset.passed).toBe('true');
    });
    expect(callsOf(spy, 'verify_now')).toHaveLength(2);
  });

  it('sends fixes that are not setup to their screen', async () => {
    const signIn = {
      ...FAILED,
      steps: [
        {
          ...step('credentials', 'failed', 'Zendesk no longer accepts the saved credentials', 50),
          cause: 'the token was revoked',
          fix: 'Sign in again.',
          action: { id: 'connect', command: 'handoff connect', scope: null, opensInZendesk: false },
        },
      ],
    };
    mockCommands({ last_verification: () => signIn });
    const { user, onNavigate } = renderVerify();
    const action = await screen.findByTestId('verify-action');
    expect(action.textContent).toBe('Sign in again');
    expect(screen.queryByTestId('verify-open-zendesk')).toBeNull();
    await user.click(action);
    expect(onNavigate).toHaveBeenCalledWith('connect');
  });

  it('replies as a specific agent: looks the name up as the ID is typed, and refuses a run without an ID', async () => {
    const spy = mockCommands({
      last_verification: () => null,
      find_agent: (args) =>
        args.agentId === '381626720'
          ? { user: AGENT, notAssignable: null, cannotReply: null }
          : fail('invalid_input', 'no user has ID 5 in acme.zendesk.com: find the ID in Admin Center > People > Team members'),
      verify_now: () => PASSED,
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.click(screen.getByTestId('verify-rep-agent'));
    await user.click(screen.getByTestId('verify-run'));
    expect(screen.getByTestId('verify-rep-name').textContent).toContain('Enter the agent\u2019s ID');
    expect(callsOf(spy, 'verify_now')).toHaveLength(0);

    await user.type(screen.getByTestId('verify-rep-id'), '5');
    await waitFor(
      () => {
        expect(screen.getByTestId('verify-rep-name').textContent).toContain('no user has ID 5');
      },
      { timeout: REP_LOOKUP_DEBOUNCE_MS * 4 },
    );
    await user.clear(screen.getByTestId('verify-rep-id'));
    await user.type(screen.getByTestId('verify-rep-id'), '381626720');
    await waitFor(
      () => {
        expect(screen.getByTestId('verify-rep-name').textContent).toBe('Ana Agent (agent)');
      },
      { timeout: REP_LOOKUP_DEBOUNCE_MS * 4 },
    );
    await user.click(screen.getByTestId('verify-run'));
    await screen.findByTestId('verify-outcome');
    expect(callsOf(spy, 'verify_now')[0]?.rep).toEqual({ kind: 'agent', agentId: '381626720' });
  });

  it('in manual mode, names the ticket to reply to and opens it through the app', async () => {
    const replied = deferred<unknown>();
    const spy = mockCommands({
      last_verification: () => null,
      verify_now: streaming(
        [
          { kind: 'step', step: PASSED_STEPS[3] },
          { kind: 'step', step: step('reply', 'running', 'Posting a public reply as a rep…') },
          { kind: 'awaitingReply', ticketId: 1042 },
        ],
        PASSED,
        replied.promise,
      ),
      open_verification_ticket: () => null,
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.click(screen.getByTestId('verify-rep-manual'));
    await user.click(screen.getByTestId('verify-run'));

    const awaiting = await screen.findByTestId('verify-awaiting');
    expect(awaiting.textContent).toContain('Reply publicly to ticket #1042 in Zendesk');
    await user.click(screen.getByTestId('verify-open-ticket'));
    expect(callsOf(spy, 'open_verification_ticket')).toEqual([{ ticketId: 1042 }]);
    expect(callsOf(spy, 'verify_now')[0]?.rep).toEqual({ kind: 'manual', agentId: null });

    replied.resolve(null);
    await screen.findByTestId('verify-outcome');
    expect(screen.queryByTestId('verify-awaiting')).toBeNull();
  });

  it('says when the relay was stopped and the run hosted one', async () => {
    mockCommands({
      last_verification: () => null,
      verify_now: () => ({ ...PASSED, relay: { kind: 'hosted', address: '127.0.0.1:8750' } }),
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.click(screen.getByTestId('verify-run'));
    expect((await screen.findByTestId('verify-relay')).textContent).toContain('Start the relay on the Relay screen');
  });

  it('says why a verification could not run at all', async () => {
    mockCommands({
      last_verification: () => null,
      verify_now: () => fail('not_connected', 'not connected to Zendesk: run `handoff connect` (or `handoff demo`) first'),
    });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.click(screen.getByTestId('verify-run'));
    const outcome = await screen.findByTestId('verify-outcome');
    expect(outcome.textContent).toContain('The verification could not run');
    expect(outcome.textContent).toContain('not connected to Zendesk');
    expect(screen.getByTestId('verify-run').getAttribute('aria-disabled')).toBe('false');
  });

  it('is reachable by keyboard: the rep choices, the agent ID, then Verify now', async () => {
    mockCommands({ last_verification: () => null });
    const { user } = renderVerify();
    await screen.findByTestId('verify-never');
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('verify-rep-auto'));
    await user.click(screen.getByTestId('verify-rep-agent'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('verify-rep-id'));
    const visited: (string | undefined)[] = [];
    for (let presses = 0; presses < 3 && document.activeElement !== screen.getByTestId('verify-run'); presses += 1) {
      await user.tab();
      visited.push((document.activeElement as HTMLElement | null)?.dataset.testid);
    }
    expect(visited.at(-1)).toBe('verify-run');
  });
});

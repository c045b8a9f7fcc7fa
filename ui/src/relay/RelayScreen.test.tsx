import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { ConnectionView, SessionDetail, SessionLine } from '../api';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { CONNECTION, DEMO_CONNECTION, callsOf, fail, mockCommands } from '../test/ipc';
import { REDACTED_URL, overview } from '../test/relay';
import { LEO, MAYA, MAYA_DETAIL, NOOR, NOOR_DETAIL, list } from '../test/sessions';
import { RelayScreen } from './RelayScreen';

function connected(connection: ConnectionView): ConnectionState {
  return { state: 'ready', connection };
}

/** The Relay screen alone, refreshing every 20 ms so the tests see several refreshes quickly. */
function renderRelay(connection: ConnectionState, refreshEveryMs = 20) {
  const user = userEvent.setup();
  const view = render(
    <Theme>
      <RelayScreen connection={connection} refreshEveryMs={refreshEveryMs} />
    </Theme>,
  );
  return { user, ...view };
}

function rowOf(session: SessionLine): HTMLElement {
  const row = screen.getAllByTestId('session-row').find((candidate) => candidate.dataset.sessionId === session.id);
  if (row === undefined) {
    throw new Error(`no row for ${session.id}`);
  }
  return row;
}

describe('Relay screen', () => {
  it('shows the relay above the sessions, and the empty state', async () => {
    mockCommands({ list_sessions: () => list([]), relay_overview: () => overview(), webhook_url: () => REDACTED_URL });
    renderRelay(connected(CONNECTION));

    const empty = await screen.findByTestId('sessions-empty');
    expect(empty.textContent).toContain('No sessions yet');
    expect(empty.textContent).toContain('handoff session new');
    expect(empty.textContent).not.toContain('test conversation');
    const controls = await screen.findByTestId('relay-controls');
    expect(within(controls).getByRole('heading', { level: 2 }).textContent).toBe('Webhook relay');
    await within(controls).findByTestId('relay-start');
    expect(
      controls.compareDocumentPosition(screen.getByRole('heading', { name: 'Sessions' })) &
        Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    expect(screen.getByTestId('sessions-queue').textContent).toBe('This app sends handoffs to Zendesk while it is open.');
    expect(screen.queryByTestId('sessions-start-test')).toBeNull();
  });

  it('offers a test conversation only when the connection is the sandbox', async () => {
    mockCommands({ list_sessions: () => list([]) });
    renderRelay(connected(DEMO_CONNECTION));

    expect((await screen.findByTestId('sessions-empty')).textContent).toContain('Start a test conversation');
    expect(screen.getByTestId('sessions-start-test').textContent).toBe('Start a test conversation');
  });

  it('lists each session: contact, channel, handoff state with its reason, ticket link and the rep badge', async () => {
    mockCommands({ list_sessions: () => list([NOOR, LEO, MAYA]) });
    renderRelay(connected(CONNECTION));

    await screen.findAllByTestId('session-row');
    expect(screen.getAllByTestId('session-row').map((row) => row.dataset.sessionId)).toEqual([NOOR.id, LEO.id, MAYA.id]);

    const noor = rowOf(NOOR);
    expect(noor.textContent).toContain('Noor Haddad');
    expect(noor.textContent).toContain('ID crm-77');
    expect(noor.textContent).toContain('SMS · ID crm-77');
    expect(within(noor).getByTestId('session-state').dataset.state).toBe('failed');
    expect(within(noor).getByTestId('session-state').textContent).toBe(
      'FailedZendesk refused the ticket: Requester is suspended',
    );
    expect(within(noor).getByTestId('session-ticket').textContent).toContain('#1043');
    expect(within(noor).getByTestId('session-rep-active').textContent).toBe('Rep active');

    const leo = rowOf(LEO);
    expect(within(leo).getByTestId('session-open').textContent).toBe('+14155550123');
    expect(leo.textContent).toContain('WhatsApp');
    expect(leo.textContent).not.toContain('WhatsApp · +14155550123');
    expect(within(leo).getByTestId('session-state').textContent).toBe(
      'PendingZendesk is rate limiting: retrying in 40 s',
    );
    expect(within(leo).queryByTestId('session-ticket')).toBeNull();
    expect(within(leo).getByLabelText('No ticket yet')).toBeDefined();
    expect(within(leo).queryByTestId('session-rep-active')).toBeNull();

    const maya = rowOf(MAYA);
    expect(maya.textContent).toContain('maya.lindqvist@example.com');
    expect(within(maya).getByTestId('session-state').textContent).toBe('Handed off');
    expect(within(maya).queryByTestId('session-state-reason')).toBeNull();
  });

  it('opens a ticket by asking the app, never through the window, and says why when it cannot', async () => {
    const opened = vi.spyOn(window, 'open').mockImplementation(() => null);
    let refusal: string | null = null;
    const spy = mockCommands({
      list_sessions: () => list([MAYA]),
      open_ticket: () => (refusal === null ? null : fail('not_connected', refusal)),
    });
    const { user } = renderRelay(connected(CONNECTION));

    await user.click(await screen.findByTestId('session-ticket'));

    expect(callsOf(spy, 'open_ticket')).toEqual([{ sessionId: MAYA.id }]);
    expect(opened).not.toHaveBeenCalled();
    expect(screen.getByTestId('transcript-none')).toBeDefined();
    expect(callsOf(spy, 'get_session')).toHaveLength(0);

    refusal = 'not connected to Zendesk: connect an account on the Connect screen to open its tickets';
    await user.click(screen.getByTestId('session-ticket'));
    const alert = await screen.findByTestId('session-ticket-error');
    expect(alert.textContent).toContain('The ticket did not open');
    expect(alert.textContent).toContain(refusal);
    opened.mockRestore();
  });

  it('shows the picked session transcript, each turn with who and when, a rep reply set apart', async () => {
    const details: Record<string, SessionDetail> = { [MAYA.id]: MAYA_DETAIL, [NOOR.id]: NOOR_DETAIL };
    const spy = mockCommands({
      list_sessions: () => list([NOOR, MAYA]),
      get_session: ({ id }) => details[String(id)] ?? fail('invalid_input', `session ${String(id)} does not exist`),
    });
    const { user } = renderRelay(connected(CONNECTION));

    await user.click(within(await screen.findByRole('table')).getByRole('button', { name: 'Open the transcript of Noor Haddad' }));

    const transcript = await screen.findByTestId('transcript');
    expect(transcript.dataset.sessionId).toBe(NOOR.id);
    expect(callsOf(spy, 'get_session')[0]).toEqual({ id: NOOR.id });
    expect(rowOf(NOOR).getAttribute('aria-selected')).toBe('true');
    expect(within(transcript).getByRole('heading', { name: 'Noor Haddad' })).toBeDefined();
    expect(within(transcript).getByTestId('session-rep-active')).toBeDefined();
    const turns = within(transcript).getAllByTestId('transcript-turn');
    expect(turns.map((turn) => turn.dataset.role)).toEqual(['customer', 'ai', 'agent']);
    expect(turns[0]?.textContent).toContain('Noor Haddad');
    expect(turns[1]?.textContent).toContain('AI agent');
    expect(turns[2]?.textContent).toContain('Rep in Zendesk');
    expect(turns[2]?.textContent).toContain('Agent reply');
    expect(turns[2]?.textContent).toContain('I refunded the second charge.');
    expect(turns.map((turn) => turn.querySelector('time')?.getAttribute('dateTime'))).toEqual(
      NOOR_DETAIL.turns.map((turn) => turn.at),
    );
    // The rep's reply looks different from the AI's: another background and a border of its own.
    const [ai, agent] = [turns[1], turns[2]].map((turn) => (turn === undefined ? null : getComputedStyle(turn)));
    expect(agent?.backgroundColor).not.toBe(ai?.backgroundColor);
    expect(agent?.borderLeftWidth).not.toBe(ai?.borderLeftWidth);

    await user.click(within(rowOf(MAYA)).getByTestId('session-open'));
    await waitFor(() => {
      expect(screen.getByTestId('transcript').dataset.sessionId).toBe(MAYA.id);
    });
    expect(within(screen.getByTestId('transcript')).getByText('Summary')).toBeDefined();
  });

  it('is reachable by keyboard: the test conversation, each session and its ticket; Enter opens the transcript', async () => {
    const spy = mockCommands({
      list_sessions: () => list([MAYA]),
      get_session: () => MAYA_DETAIL,
      open_ticket: () => null,
    });
    const { user } = renderRelay(connected(DEMO_CONNECTION));
    await screen.findByTestId('session-row');

    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('sessions-start-test'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('session-open'));
    await user.keyboard('{Enter}');
    await screen.findByTestId('transcript');
    await user.tab();
    expect(document.activeElement).toBe(within(rowOf(MAYA)).getByTestId('session-ticket'));
    await user.keyboard('{Enter}');
    expect(callsOf(spy, 'open_ticket')).toEqual([{ sessionId: MAYA.id }]);
  });

  it('starts a test conversation: the new session shows pending, then handed off with its ticket', async () => {
    let stage: 'before' | 'pending' | 'done' = 'before';
    const pending: SessionLine = {
      ...MAYA,
      ticketId: null,
      handoff: { state: 'pending', reason: 'queued: waiting for the handoff worker' },
    };
    const spy = mockCommands({
      list_sessions: () => list(stage === 'before' ? [] : stage === 'pending' ? [pending] : [MAYA]),
      start_test_conversation: () => {
        stage = 'pending';
        return { sessionId: MAYA.id };
      },
      get_session: () => (stage === 'done' ? MAYA_DETAIL : { ...MAYA_DETAIL, ...pending, turns: MAYA_DETAIL.turns }),
    });
    const { user } = renderRelay(connected(DEMO_CONNECTION));
    await screen.findByTestId('sessions-empty');

    await user.click(screen.getByTestId('sessions-start-test'));

    await waitFor(() => {
      expect(within(rowOf(MAYA)).getByTestId('session-state').dataset.state).toBe('pending');
    });
    expect(within(rowOf(MAYA)).getByTestId('session-state').textContent).toContain('queued');
    expect((await screen.findByTestId('transcript')).dataset.sessionId).toBe(MAYA.id);
    expect(callsOf(spy, 'start_test_conversation')).toEqual([{}]);

    stage = 'done';
    await waitFor(() => {
      expect(within(rowOf(MAYA)).getByTestId('session-state').dataset.state).toBe('done');
    });
    expect(within(rowOf(MAYA)).getByTestId('session-ticket').textContent).toContain('#1042');
    await waitFor(() => {
      expect(within(screen.getByTestId('transcript')).queryByTestId('session-ticket')).not.toBeNull();
    });
  });

  it('says why a test conversation did not start', async () => {
    mockCommands({
      list_sessions: () => list([]),
      start_test_conversation: () =>
        fail('invalid_input', 'a test conversation is only for the sandbox account: it would hand a made-up customer'),
    });
    const { user } = renderRelay(connected(DEMO_CONNECTION));
    await screen.findByTestId('sessions-empty');

    await user.click(screen.getByTestId('sessions-start-test'));

    const alert = await screen.findByTestId('sessions-start-test-error');
    expect(alert.textContent).toContain('The test conversation did not start');
    expect(alert.textContent).toContain('only for the sandbox account');
  });

  it('refreshes while shown, keeps the list when a refresh fails, and stops once the screen is left', async () => {
    let failing = false;
    const spy = mockCommands({
      list_sessions: () => (failing ? fail('storage', 'database is locked') : list([MAYA])),
    });
    const { unmount } = renderRelay(connected(CONNECTION));
    await screen.findByTestId('session-row');
    await waitFor(() => {
      expect(callsOf(spy, 'list_sessions').length).toBeGreaterThanOrEqual(3);
    });

    failing = true;
    const alert = await screen.findByTestId('sessions-error');
    expect(alert.textContent).toContain('Database is locked. The list tries again every few seconds.');
    expect(screen.getByTestId('session-row')).toBeDefined();
    failing = false;
    await waitFor(() => {
      expect(screen.queryByTestId('sessions-error')).toBeNull();
    });

    unmount();
    const calls = callsOf(spy, 'list_sessions').length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(callsOf(spy, 'list_sessions')).toHaveLength(calls);
  });

  it.each([
    [
      'another process sends the handoffs',
      { state: 'elsewhere', reason: null },
      'Another process on this data folder (handoff serve) sends handoffs to Zendesk; this app takes over if it stops.',
    ],
    [
      'the worker failed',
      { state: 'failing', reason: 'the keychain did not answer: unlock it.' },
      'Handoffs are not being sent to ZendeskThe keychain did not answer: unlock it. They stay queued and are sent once this is fixed.',
    ],
  ] as const)('says who sends the handoffs when %s', async (_case, queue, text) => {
    mockCommands({ list_sessions: () => list([MAYA], queue) });
    renderRelay(connected(CONNECTION));

    expect((await screen.findByTestId('sessions-queue')).textContent).toBe(text);
  });
});

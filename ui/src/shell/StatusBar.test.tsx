import { render, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { CONNECTION, DEMO_CONNECTION, callsOf, mockCommands } from '../test/ipc';
import { NOT_SET_UP, RUNNING, status } from '../test/relay';
import { StatusBar } from './StatusBar';

function renderBar(connection: ConnectionState) {
  return render(
    <Theme>
      <StatusBar connection={connection} refreshEveryMs={20} />
    </Theme>,
  );
}

describe('Status bar', () => {
  it('shows the account, the relay and the last checklist counts', async () => {
    mockCommands({ status_bar: () => status({ relay: RUNNING, checklist: { ...NOT_SET_UP.summary, ok: 15 } }) });
    renderBar({ state: 'ready', connection: DEMO_CONNECTION });

    const relay = await screen.findByTestId('status-relay');
    expect(relay.dataset.state).toBe('running');
    expect(relay.textContent).toBe('Relay running on 127.0.0.1:8750');
    expect(screen.getByTestId('status-checklist').textContent).toBe('Setup: 15 OK, 3 failing, 1 unknown');
    expect(screen.getByTestId('status-checklist').dataset.failing).toBe('3');
    expect(screen.getByTestId('status-bar').textContent).toContain('d3v-handoff.zendesk.com');
    expect(screen.getByTestId('status-bar').textContent).toContain('Demo');
  });

  it('has the checklist read once when nothing has read it yet, then shows its counts', async () => {
    let checked = false;
    const spy = mockCommands({
      status_bar: () => status({ checklist: checked ? NOT_SET_UP.summary : null }),
      setup_checklist: () => {
        checked = true;
        return NOT_SET_UP;
      },
    });
    renderBar({ state: 'ready', connection: CONNECTION });

    await waitFor(() => {
      expect(screen.getByTestId('status-checklist').textContent).toBe('Setup: 1 OK, 3 failing, 1 unknown');
    });
    expect(screen.getByTestId('status-relay').textContent).toBe('Relay stopped');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(callsOf(spy, 'setup_checklist')).toHaveLength(1);
  });

  it('shows neither relay nor checklist before a connection', async () => {
    const spy = mockCommands({ status_bar: () => status() });
    renderBar({ state: 'ready', connection: null });
    await waitFor(() => {
      expect(callsOf(spy, 'status_bar').length).toBeGreaterThan(1);
    });
    expect(screen.getByTestId('status-bar').textContent).toBe('Not connected');
    expect(callsOf(spy, 'setup_checklist')).toHaveLength(0);
  });
});

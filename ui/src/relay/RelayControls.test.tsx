import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { RelayOverview } from '../api';
import { Theme } from '../Theme';
import { callsOf, deferred, fail, mockCommands } from '../test/ipc';
import { ACCEPTED, REDACTED_URL, REFUSED, RUNNING, WHOLE_URL, overview } from '../test/relay';
import { RelayControls } from './RelayControls';

/** The relay's half of the screen, reading every 20 ms so the tests see several refreshes quickly. */
function renderControls() {
  const user = userEvent.setup();
  const view = render(
    <Theme>
      <RelayControls refreshEveryMs={20} />
    </Theme>,
  );
  return { user, ...view };
}

describe('Relay controls', () => {
  it('shows the relay running on its own once connected: its address, public URL, the webhook URL redacted', async () => {
    mockCommands({ relay_overview: () => overview({ relay: RUNNING }), webhook_url: () => REDACTED_URL });
    renderControls();

    await screen.findByTestId('relay-stop');
    expect(screen.getByTestId('relay-state').dataset.state).toBe('running');
    expect(screen.getByTestId('relay-state').textContent).toBe('Running');
    expect(screen.getByTestId('relay-lead').textContent).toContain('served at http://127.0.0.1:8750');
    expect(screen.getByTestId('relay-lead').textContent).toContain('starts with the console');
    expect(screen.getByTestId('relay-listen-address').textContent).toBe('127.0.0.1:8750');
    expect(screen.getByTestId('relay-public-url').textContent).toBe('http://127.0.0.1:8750');
    expect(screen.getByTestId('relay-controls').textContent).toContain('only this machine can reach');
    await waitFor(() => {
      expect(screen.getByTestId('relay-webhook-url').textContent).toBe(REDACTED_URL);
    });
    expect(screen.getByTestId('deliveries-empty').textContent).toContain('No deliveries yet');
    expect(screen.queryByTestId('relay-start')).toBeNull();
  });

  it('says a relay the admin stopped stays stopped, also at the next launch, until Start', async () => {
    mockCommands({ relay_overview: () => overview({ startsWithApp: false }), webhook_url: () => REDACTED_URL });
    renderControls();

    await screen.findByTestId('relay-start');
    expect(screen.getByTestId('relay-state').textContent).toBe('Stopped');
    expect(screen.getByTestId('relay-lead').textContent).toContain('You stopped the relay');
    expect(screen.getByTestId('relay-lead').textContent).toContain('until you click Start');
    expect(screen.queryByTestId('relay-stop')).toBeNull();
  });

  it('starts the relay, shows it running with its address, and stops it', async () => {
    let current: RelayOverview = overview();
    const starting = deferred<unknown>();
    const spy = mockCommands({
      relay_overview: () => current,
      webhook_url: () => REDACTED_URL,
      start_relay: () => starting.promise,
      stop_relay: () => {
        current = overview({ startsWithApp: false });
        return current.relay;
      },
    });
    const { user } = renderControls();

    await user.click(await screen.findByTestId('relay-start'));
    expect(screen.getByTestId('relay-controls').textContent).toContain('Starting');
    current = overview({ relay: RUNNING });
    starting.resolve(RUNNING);
    await waitFor(() => {
      expect(screen.getByTestId('relay-state').dataset.state).toBe('running');
    });
    expect(screen.getByTestId('relay-controls').textContent).toContain('served at http://127.0.0.1:8750');
    expect(screen.queryByTestId('relay-listen-edit')).toBeNull();
    expect(screen.getByTestId('relay-controls').textContent).toContain('Stop the relay to change it.');

    await user.click(screen.getByTestId('relay-stop'));
    await waitFor(() => {
      expect(screen.getByTestId('relay-state').dataset.state).toBe('stopped');
    });
    expect(screen.getByTestId('relay-lead').textContent).toContain('You stopped the relay');
    expect(callsOf(spy, 'start_relay')).toHaveLength(1);
    expect(callsOf(spy, 'stop_relay')).toHaveLength(1);
  });

  it('says why the relay did not start, with how to change the address', async () => {
    const message =
      '127.0.0.1:8750 is already in use by another program (a `handoff serve`, or another console): stop it, or ' +
      'change the listen address (on the Relay screen, or `handoff config set listen-address 127.0.0.1:8751`)';
    mockCommands({
      relay_overview: () => overview({ relay: { state: 'failed', address: null, reason: message } }),
      webhook_url: () => REDACTED_URL,
      start_relay: () => fail('invalid_input', message),
    });
    const { user } = renderControls();

    const shown = await screen.findByTestId('relay-error');
    expect(shown.textContent).toContain('The relay is not running');
    expect(screen.getByTestId('relay-state').textContent).toBe('Not running');
    await user.click(screen.getByTestId('relay-start'));
    await waitFor(() => {
      expect(screen.getByTestId('relay-error').textContent).toContain('The relay did not start');
    });
    expect(screen.getByTestId('relay-error').textContent).toContain('change the listen address');
  });

  it('changes the listen address while stopped, and shows why an address is refused', async () => {
    let listen = '127.0.0.1:8750';
    const spy = mockCommands({
      relay_overview: () => overview({ listenAddress: listen, publicUrl: `http://${listen}` }),
      webhook_url: () => REDACTED_URL,
      set_listen_address: ({ address }) => {
        if (address === 'localhost') {
          return fail('invalid_input', 'listen-address: "localhost" is not an address to listen on: use IP:port');
        }
        listen = String(address);
        return listen;
      },
    });
    const { user } = renderControls();

    await user.click(await screen.findByTestId('relay-listen-edit'));
    const input = screen.getByTestId('relay-listen-input');
    await user.clear(input);
    await user.type(input, 'localhost');
    await user.click(screen.getByTestId('relay-listen-save'));
    expect((await screen.findByTestId('relay-listen-error')).textContent).toContain('use IP:port');

    await user.clear(input);
    await user.type(input, '127.0.0.1:9000{Enter}');
    await waitFor(() => {
      expect(screen.getByTestId('relay-listen-address').textContent).toBe('127.0.0.1:9000');
    });
    expect(callsOf(spy, 'set_listen_address')).toEqual([{ address: 'localhost' }, { address: '127.0.0.1:9000' }]);
    expect(screen.getByTestId('relay-public-url').textContent).toBe('http://127.0.0.1:9000');
    // The webhook URL is built on the public URL: it is asked for again.
    await waitFor(() => {
      expect(callsOf(spy, 'webhook_url').length).toBeGreaterThanOrEqual(2);
    });
  });

  it('reveals the whole webhook URL only on demand, and copies it through the app', async () => {
    const spy = mockCommands({
      relay_overview: () => overview(),
      webhook_url: () => REDACTED_URL,
      reveal_webhook_url: () => WHOLE_URL,
      copy_webhook_url: () => null,
    });
    const { user } = renderControls();

    await waitFor(() => {
      expect(screen.getByTestId('relay-webhook-url').textContent).toBe(REDACTED_URL);
    });
    await user.click(screen.getByTestId('relay-webhook-copy'));
    expect((await screen.findByTestId('relay-webhook-copied')).textContent).toBe('Copied');
    expect(callsOf(spy, 'copy_webhook_url')).toEqual([{}]);
    expect(callsOf(spy, 'reveal_webhook_url')).toHaveLength(0);
    expect(document.body.textContent).not.toContain(WHOLE_URL);

    await user.click(screen.getByTestId('relay-webhook-reveal'));
    await waitFor(() => {
      expect(screen.getByTestId('relay-webhook-url').textContent).toBe(WHOLE_URL);
    });
    expect(screen.getByTestId('relay-webhook-reveal').textContent).toBe('Hide');
    await user.click(screen.getByTestId('relay-webhook-reveal'));
    await waitFor(() => {
      expect(screen.getByTestId('relay-webhook-url').textContent).toBe(REDACTED_URL);
    });
    expect(document.body.textContent).not.toContain(WHOLE_URL);
  });

  it('streams the deliveries live, newest first: time, verdict or why refused, ticket, outcome', async () => {
    let deliveries = [REFUSED];
    mockCommands({ relay_overview: () => overview({ relay: RUNNING, deliveries }), webhook_url: () => REDACTED_URL });
    renderControls();

    const first = await screen.findAllByTestId('delivery-row');
    expect(first).toHaveLength(1);
    expect(first[0]?.dataset.verdict).toBe('rejected');
    expect(first[0]?.textContent).toContain('Refused');
    expect(within(first[0] as HTMLElement).getByTestId('delivery-outcome').textContent).toBe(
      "the URL's tag does not match (a forged or mistyped URL)",
    );

    deliveries = [ACCEPTED, REFUSED];
    await waitFor(() => {
      expect(screen.getAllByTestId('delivery-row')).toHaveLength(2);
    });
    const [newest] = screen.getAllByTestId('delivery-row');
    expect(newest?.dataset.deliveryId).toBe('7');
    expect(newest?.textContent).toContain('Verified');
    expect(newest?.textContent).toContain('+1 repeat');
    expect(within(newest as HTMLElement).getByTestId('delivery-ticket').textContent).toBe('#1042');
    expect(within(newest as HTMLElement).getByTestId('delivery-outcome').textContent).toContain('1 reply delivered');
  });

  it('is reachable by keyboard: Start, Change, Reveal and Copy in order', async () => {
    const spy = mockCommands({
      relay_overview: () => overview(),
      webhook_url: () => REDACTED_URL,
      start_relay: () => RUNNING,
    });
    const { user } = renderControls();

    await screen.findByTestId('relay-start');
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('relay-start'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('relay-listen-edit'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('relay-webhook-reveal'));
    await user.tab();
    expect(document.activeElement).toBe(screen.getByTestId('relay-webhook-copy'));
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    await user.keyboard('{Enter}');
    await waitFor(() => {
      expect(callsOf(spy, 'start_relay')).toHaveLength(1);
    });
  });
});

import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Channel } from '@tauri-apps/api/core';
import type { ConnectionView, DisconnectPlan, DisconnectStep, SettingsView, SetupEventView } from '../api';
import type { ConnectionState } from '../connection';
import { Theme } from '../Theme';
import { AGENT, ADMIN, CONNECTION, DEMO_CONNECTION, OAUTH_CONNECTION, callsOf, channelSender, deferred, fail, mockCommands } from '../test/ipc';
import { AGENT_LOOKUP_DEBOUNCE_MS } from './DefaultAgent';
import { SettingsScreen } from './SettingsScreen';

const SETTINGS: SettingsView = {
  tagPrefix: 'opencx',
  ticketEveryConversation: false,
  publicUrl: 'http://127.0.0.1:8750',
  publicUrlIsLocal: true,
  outboundUrl: '',
  llmUrl: '',
  llmModel: '',
  channels: [
    { channel: 'email', delivers: 'platform' },
    { channel: 'whatsapp', delivers: 'platform' },
    { channel: 'sms', delivers: 'zendesk' },
    { channel: 'web', delivers: 'platform' },
    { channel: 'phone', delivers: 'platform' },
  ],
  listenAddress: '127.0.0.1:8750',
  defaultAgent: AGENT,
  dataFolder: '/home/ana/.local/share/cx.handoff.console',
  logsFolder: '/home/ana/.local/share/cx.handoff.console/logs',
  webhookSetUp: true,
  urlKeyGraceHours: 24,
};

const PLAN: DisconnectPlan = {
  account: 'acme.zendesk.com',
  authMethod: 'oauth',
  trigger: '360001',
  webhook: '01JD6X0H1W4Q7N3T2V5B8C9D0E',
  revokeToken: true,
  keychain: ['oauth-tokens', 'url-keys', 'webhook-signing-secret', 'outbound-signing-secret'],
  kept: [
    'the tickets in Zendesk, and their requesters',
    'the settings and the sessions API keys',
  ],
};

function connected(connection: ConnectionView | null): ConnectionState {
  return { state: 'ready', connection };
}

function renderSettings(connection: ConnectionState = connected(CONNECTION)) {
  const user = userEvent.setup();
  const onNavigate = vi.fn();
  const onRotateCredentials = vi.fn();
  const onDisconnected = vi.fn();
  const view = render(
    <Theme>
      <SettingsScreen
        connection={connection}
        onNavigate={onNavigate}
        onRotateCredentials={onRotateCredentials}
        onDisconnected={onDisconnected}
      />
    </Theme>,
  );
  return { user, onNavigate, onRotateCredentials, onDisconnected, ...view };
}

/** A settings store double: `set_setting` keeps what it is given, so the screen reads it back. */
function settingsCommands(start: SettingsView = SETTINGS, extra: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  let current = { ...start };
  return mockCommands({
    get_settings: () => current,
    set_setting: (args) => {
      const value = String(args.value);
      switch (args.key) {
        case 'tag-prefix':
          current = { ...current, tagPrefix: value };
          break;
        case 'ticket-every-conversation':
          current = { ...current, ticketEveryConversation: value === 'true' };
          break;
        case 'zendesk-delivers':
          current = {
            ...current,
            channels: current.channels.map((entry) => ({
              ...entry,
              delivers: value.split(',').includes(entry.channel) ? 'zendesk' : 'platform',
            })),
          };
          break;
        case 'public-url':
          current = value === '' ? { ...current, publicUrlIsLocal: true } : { ...current, publicUrl: value, publicUrlIsLocal: false };
          return value === '' ? 'http://127.0.0.1:8750/' : value;
        case 'outbound-url':
          current = { ...current, outboundUrl: value };
          break;
      }
      return value;
    },
    ...extra,
  });
}

describe('Settings screen', { timeout: 20_000 }, () => {
  it('shows every setting as the app reads it', async () => {
    settingsCommands();
    renderSettings();
    expect((await screen.findByTestId<HTMLInputElement>('settings-tag-prefix')).value).toBe('opencx');
    expect(screen.getByTestId<HTMLInputElement>('settings-every-conversation').checked).toBe(false);
    expect(screen.getByTestId('settings-default-agent').textContent).toContain('Ana Agent (agent@acme.com), #381626720');
    expect(screen.getByTestId<HTMLSelectElement>('settings-delivery-email').value).toBe('platform');
    expect(screen.getByTestId<HTMLSelectElement>('settings-delivery-sms').value).toBe('zendesk');
    expect(screen.getByTestId<HTMLInputElement>('settings-public-url').value).toBe('');
    expect(screen.getByTestId('settings-addresses').textContent).toContain('only this machine can reach');
    expect(screen.getByTestId('settings-listen-address').textContent).toBe('127.0.0.1:8750');
    expect(screen.getByTestId('settings-data-folder').textContent).toBe(SETTINGS.dataFolder);
    expect(screen.getByTestId('settings-logs-folder').textContent).toBe(SETTINGS.logsFolder);
    expect(screen.getByTestId('settings-keys').textContent).toContain('keeps working for 24 hours');
  });

  it('refuses a tag prefix that cannot be a tag before sending it, and saves one that can', async () => {
    const spy = settingsCommands();
    const { user } = renderSettings();
    const input = await screen.findByTestId('settings-tag-prefix');
    await user.clear(input);
    await user.type(input, 'Acme AI');
    await user.click(screen.getByTestId('settings-tag-prefix-save'));
    expect(screen.getByTestId('settings-tag-prefix-message').textContent).toContain('"Acme AI" is not a tag prefix');
    expect(callsOf(spy, 'set_setting')).toHaveLength(0);

    await user.clear(input);
    await user.type(input, 'acme_ai{Enter}');
    await waitFor(() => {
      expect(screen.getByTestId('settings-tag-prefix-message').textContent).toBe('Saved.');
    });
    expect(callsOf(spy, 'set_setting')).toEqual([{ key: 'tag-prefix', value: 'acme_ai' }]);
  });

  it('shows why the app refused a value', async () => {
    settingsCommands(SETTINGS, {
      set_setting: () => fail('invalid_input', 'outbound-url: "https://x.example/?a=1" has a query or fragment; give the base address only'),
    });
    const { user } = renderSettings();
    const input = await screen.findByTestId('settings-outbound-url');
    await user.type(input, 'https://platform.example.com/replies');
    await user.click(screen.getByTestId('settings-outbound-url-save'));
    expect((await screen.findByTestId('settings-outbound-url-message')).textContent).toContain('has a query or fragment');
  });

  it('turns tickets for every conversation on, and sets who delivers replies per channel', async () => {
    const spy = settingsCommands();
    const { user } = renderSettings();
    await user.click(await screen.findByTestId('settings-every-conversation'));
    await user.selectOptions(screen.getByTestId('settings-delivery-email'), 'zendesk');
    await waitFor(() => {
      expect(screen.getByTestId<HTMLSelectElement>('settings-delivery-email').value).toBe('zendesk');
    });
    expect(callsOf(spy, 'set_setting')).toEqual([
      { key: 'ticket-every-conversation', value: 'true' },
      { key: 'zendesk-delivers', value: 'email,sms' },
    ]);
    await waitFor(() => {
      expect(screen.getByTestId<HTMLInputElement>('settings-every-conversation').checked).toBe(true);
    });
  });

  it('sets a public URL, then offers to point the webhook at it', async () => {
    const spy = settingsCommands(SETTINGS, {
      run_setup: (args) => {
        const sender = channelSender(args.onEvent as Channel<SetupEventView>);
        sender.send({ kind: 'planned', steps: [{ action: 'update_webhook', summary: 'Point the webhook at the new URL', writesZendesk: true }] });
        sender.send({ kind: 'step', index: 0, state: 'done', detail: 'Pointed the webhook at https://relay.example.com' });
        return { scope: 'webhook', changed: true, steps: [], done: [] };
      },
    });
    const { user } = renderSettings();
    const input = await screen.findByTestId('settings-public-url');
    await user.type(input, 'relay.example.com');
    await user.click(screen.getByTestId('settings-public-url-save'));
    expect(screen.getByTestId('settings-public-url-message').textContent).toContain('is not an address');

    await user.clear(input);
    await user.type(input, 'https://relay.example.com');
    await user.click(screen.getByTestId('settings-public-url-save'));
    await user.click(await screen.findByTestId('settings-update-webhook'));
    await waitFor(() => {
      expect(screen.getByTestId('setup-run').textContent).toContain('Pointed the webhook at https://relay.example.com');
    });
    expect(callsOf(spy, 'set_setting')).toEqual([{ key: 'public-url', value: 'https://relay.example.com' }]);
    expect(callsOf(spy, 'run_setup').map((args) => args.scope)).toEqual(['webhook']);
  });

  it('links the listen address to the Relay screen', async () => {
    settingsCommands();
    const { user, onNavigate } = renderSettings();
    await user.click(await screen.findByTestId('settings-open-relay'));
    expect(onNavigate).toHaveBeenCalledWith('relay');
  });

  it('looks the default agent up as the ID is typed, warns about one Zendesk cannot assign, saves and clears', async () => {
    let current = { ...SETTINGS };
    const spy = mockCommands({
      get_settings: () => current,
      find_agent: (args) =>
        args.agentId === '42'
          ? { user: { ...AGENT, id: 42, name: 'Lee Light' }, notAssignable: 'Lee Light is a light agent. Zendesk does not assign tickets to light agents', cannotReply: null }
          : { user: ADMIN, notAssignable: null, cannotReply: null },
      set_default_agent: (args) => {
        current = { ...current, defaultAgent: args.agentId === '' ? null : ADMIN };
        return args.agentId === '' ? null : ADMIN;
      },
    });
    const { user } = renderSettings();
    const input = await screen.findByTestId('settings-default-agent-id');
    await user.type(input, '42');
    await waitFor(
      () => {
        expect(screen.getByTestId('settings-default-agent-name').textContent).toContain('is a light agent');
      },
      { timeout: AGENT_LOOKUP_DEBOUNCE_MS * 4 },
    );
    await user.clear(input);
    await user.type(input, String(ADMIN.id));
    await waitFor(
      () => {
        expect(screen.getByTestId('settings-default-agent-name').textContent).toBe('Ana Admin (admin)');
      },
      { timeout: AGENT_LOOKUP_DEBOUNCE_MS * 4 },
    );
    await user.click(screen.getByTestId('settings-default-agent-save'));
    await waitFor(() => {
      expect(screen.getByTestId('settings-default-agent').textContent).toContain('Ana Admin');
    });
    expect(screen.getByTestId('settings-default-agent-message').textContent).toContain('new tickets go to Ana Admin');

    await user.click(screen.getByTestId('settings-default-agent-clear'));
    await waitFor(() => {
      expect(screen.getByTestId('settings-default-agent').textContent).toContain('None: new tickets stay unassigned');
    });
    expect(callsOf(spy, 'set_default_agent')).toEqual([{ agentId: String(ADMIN.id) }, { agentId: '' }]);
  });

  it('rotates the URL key with its grace period, resets the signing secret, and rotates credentials through Connect', async () => {
    const spy = settingsCommands(SETTINGS, {
      rotate_url_key: () => ({
        keyId: 'k2',
        url: 'http://127.0.0.1:8750/zendesk/01JD/k2.…Ab3d',
        previousValidUntil: '2026-11-25T09:30:00Z',
        webhook: 'moved',
        reason: null,
      }),
      reset_signing_secret: () => ({ webhookId: '01JD6X0H1W4Q7N3T2V5B8C9D0E' }),
    });
    const { user, onRotateCredentials } = renderSettings(connected(OAUTH_CONNECTION));
    await user.click(await screen.findByTestId('settings-rotate-url-key'));
    const rotated = await screen.findByTestId('settings-url-key-result');
    expect(rotated.textContent).toContain('New URL http://127.0.0.1:8750/zendesk/01JD/k2.…Ab3d');
    expect(rotated.textContent).toContain('the previous one works until');
    expect(rotated.textContent).toContain('now posts to the new URL');

    await user.click(screen.getByTestId('settings-reset-secret'));
    expect((await screen.findByTestId('settings-secret-result')).textContent).toContain('new signing secret for webhook 01JD6X0H1W4Q7N3T2V5B8C9D0E');

    await user.click(screen.getByTestId('settings-rotate-credentials'));
    expect(onRotateCredentials).toHaveBeenCalledTimes(1);
    expect(callsOf(spy, 'rotate_url_key')).toHaveLength(1);
    expect(callsOf(spy, 'reset_signing_secret')).toHaveLength(1);
  });

  it('explains what is not possible: no webhook yet, no credentials to rotate on the sandbox', async () => {
    const spy = settingsCommands({ ...SETTINGS, webhookSetUp: false });
    const { user, onRotateCredentials } = renderSettings(connected(DEMO_CONNECTION));
    const reset = await screen.findByTestId<HTMLButtonElement>('settings-reset-secret');
    expect(reset.disabled).toBe(true);
    expect(screen.getByTestId('settings-keys').textContent).toContain('There is no webhook yet: run setup first.');
    await user.click(reset);
    expect(screen.getByTestId('settings-keys').textContent).toContain('has no credentials of yours to rotate');
    expect(screen.getByTestId<HTMLButtonElement>('settings-rotate-credentials').disabled).toBe(true);
    await user.click(screen.getByTestId('settings-rotate-credentials'));
    expect(onRotateCredentials).not.toHaveBeenCalled();
    expect(callsOf(spy, 'reset_signing_secret')).toHaveLength(0);
  });

  it('opens the data and logs folders through the app, and says why when it cannot', async () => {
    let opened = 0;
    const spy = settingsCommands(SETTINGS, {
      open_folder: () => (opened++ === 0 ? null : fail('internal', 'the file manager did not open /home/ana/logs: no opener; open the folder by hand')),
    });
    const { user } = renderSettings();
    await user.click(await screen.findByTestId('settings-open-data'));
    await user.click(screen.getByTestId('settings-open-logs'));
    expect((await screen.findByRole('alert')).textContent).toContain('open the folder by hand');
    expect(callsOf(spy, 'open_folder')).toEqual([{ folder: 'data' }, { folder: 'logs' }]);
  });

  it('shows what a disconnect deletes and keeps, can be cancelled, then runs it step by step', async () => {
    const finish = deferred<unknown>();
    const spy = settingsCommands(SETTINGS, {
      disconnect_plan: () => PLAN,
      disconnect: async (args) => {
        const sender = channelSender(args.onStep as Channel<DisconnectStep>);
        sender.send({ id: 'delete_trigger', state: 'running', detail: 'Deleting our trigger 360001…' });
        sender.send({ id: 'delete_trigger', state: 'done', detail: 'Deleted our trigger 360001' });
        sender.send({ id: 'delete_webhook', state: 'running', detail: 'Deleting our webhook…' });
        await finish.promise;
        return { steps: [] };
      },
    });
    const { user, onDisconnected } = renderSettings(connected(OAUTH_CONNECTION));
    await user.click(await screen.findByTestId('settings-disconnect'));
    const plan = await screen.findByTestId('settings-disconnect-plan');
    expect(within(plan).getByTestId('settings-disconnect-zendesk').textContent).toContain('Delete the trigger setup made (#360001).');
    expect(within(plan).getByTestId('settings-disconnect-zendesk').textContent).toContain('Revoke the console\u2019s OAuth token.');
    expect(within(plan).getByTestId('settings-disconnect-local').textContent).toContain('oauth-tokens, url-keys');
    expect(within(plan).getByTestId('settings-disconnect-kept').textContent).toContain('The tickets in Zendesk');
    await user.click(screen.getByTestId('settings-disconnect-cancel'));
    expect(screen.queryByTestId('settings-disconnect-plan')).toBeNull();
    expect(callsOf(spy, 'disconnect')).toHaveLength(0);

    await user.click(screen.getByTestId('settings-disconnect'));
    await user.click(await screen.findByTestId('settings-disconnect-confirm'));
    await waitFor(() => {
      expect(screen.getAllByTestId('settings-disconnect-step').map((item) => item.dataset.state)).toEqual(['done', 'running']);
    });
    expect(onDisconnected).not.toHaveBeenCalled();
    finish.resolve(null);
    await waitFor(() => {
      expect(onDisconnected).toHaveBeenCalledWith({ account: 'acme.zendesk.com', steps: [] });
    });
  });

  it('says what a disconnect that stopped left, and offers to finish it', async () => {
    settingsCommands(SETTINGS, {
      disconnect_plan: () => PLAN,
      disconnect: () =>
        fail('zendesk', 'could not delete our webhook 01JD: Zendesk did not answer; nothing after this step was removed'),
    });
    const { user, onDisconnected } = renderSettings();
    await user.click(await screen.findByTestId('settings-disconnect'));
    await user.click(await screen.findByTestId('settings-disconnect-confirm'));
    const error = await screen.findByTestId('settings-disconnect-error');
    expect(error.textContent).toContain('nothing after this step was removed');
    expect(error.textContent).toContain('disconnecting again finishes the rest');
    expect(screen.getByTestId('settings-disconnect-retry')).toBeDefined();
    expect(onDisconnected).not.toHaveBeenCalled();
  });

  it('without a connection, keeps the local settings and hides what needs one', async () => {
    settingsCommands({ ...SETTINGS, defaultAgent: null });
    renderSettings(connected(null));
    await screen.findByTestId('settings-tag-prefix');
    expect(screen.queryByTestId('settings-default-agent-id')).toBeNull();
    expect(screen.queryByTestId('settings-keys')).toBeNull();
    expect(screen.queryByTestId('settings-disconnect')).toBeNull();
    expect(screen.getByTestId('settings-open-data')).toBeDefined();
  });
});

import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SettingsView } from './api';
import { SCREENS } from './screens';
import { CONNECTION, DEMO_CONNECTION, callsOf, fail, mockCommands } from './test/ipc';
import { renderApp } from './test/render';

const SETTINGS_VIEW: SettingsView = {
  tagPrefix: 'opencx',
  ticketEveryConversation: false,
  publicUrl: 'http://127.0.0.1:8750',
  publicUrlIsLocal: true,
  outboundUrl: '',
  llmUrl: '',
  llmModel: '',
  channels: [{ channel: 'email', delivers: 'platform' }],
  listenAddress: '127.0.0.1:8750',
  defaultAgent: null,
  dataFolder: '/data',
  logsFolder: '/data/logs',
  webhookSetUp: false,
  urlKeyGraceHours: 24,
};

describe('Console shell', () => {
  it('lists every screen in the navigation, in the order an admin meets them, and opens on Connect', async () => {
    mockCommands({ get_connection: () => null });
    renderApp();

    const nav = screen.getByRole('navigation');
    expect(within(nav).getAllByRole('button').map((button) => button.textContent)).toEqual([
      'Connect',
      'Setup',
      'AI Fields',
      'Relay',
      'Verify',
      'Troubleshoot',
      'Settings',
    ]);
    expect(screen.getByTestId('screen-title').textContent).toBe('Connect');
    expect(screen.getByTestId('nav-connect').getAttribute('aria-current')).toBe('page');
    await screen.findByTestId('welcome-connect');
  });

  it.each(SCREENS.filter((candidate) => candidate.id !== 'connect'))(
    '$title opens from the navigation, its title focused',
    async ({ id, title }) => {
      mockCommands({ get_connection: () => CONNECTION });
      const { user } = renderApp();
      await screen.findByTestId('connected');

      await user.click(screen.getByTestId(`nav-${id}`));

      const heading = screen.getByTestId('screen-title');
      expect(heading.textContent).toBe(title);
      expect(document.activeElement).toBe(heading);
      expect(screen.getByTestId(`nav-${id}`).getAttribute('aria-current')).toBe('page');
      expect(screen.getByTestId('nav-connect').getAttribute('aria-current')).toBeNull();
      expect(screen.getByRole('main').textContent).not.toContain('not available yet');
      expect(screen.getByTestId('status-bar').textContent).toContain('acme.zendesk.com');
    },
    20_000,
  );

  it('opens the Relay screen with its sessions from the navigation', async () => {
    mockCommands({
      get_connection: () => DEMO_CONNECTION,
      list_sessions: () => ({ sessions: [], queue: { state: 'here', reason: null } }),
    });
    const { user } = renderApp();
    await screen.findByTestId('connected');

    await user.click(screen.getByTestId('nav-relay'));

    expect(screen.getByTestId('screen-title').textContent).toBe('Relay');
    expect(document.activeElement).toBe(screen.getByTestId('screen-title'));
    await screen.findByTestId('sessions-empty');
    expect(screen.getByTestId('sessions-start-test')).toBeDefined();
  });

  it("opens the Connect form prefilled from Settings' Rotate credentials, once", async () => {
    mockCommands({
      get_connection: () => CONNECTION,
      get_settings: () => SETTINGS_VIEW,
      list_sessions: () => ({ sessions: [], queue: { state: 'here', reason: null } }),
    });
    const { user } = renderApp();
    await screen.findByTestId('connected');
    await user.click(screen.getByTestId('nav-settings'));
    await user.click(await screen.findByTestId('settings-rotate-credentials', {}, { timeout: 10_000 }));

    expect(screen.getByTestId('screen-title').textContent).toBe('Connect');
    expect(screen.getByTestId<HTMLInputElement>('connect-oauth-subdomain').value).toBe('acme');
    await user.click(screen.getByTestId('nav-relay'));
    await user.click(screen.getByTestId('nav-connect'));
    expect(screen.getByTestId('connected').textContent).toContain('Ana Admin');
  }, 30_000);

  it('returns to the welcome cards once Settings disconnected the account', async () => {
    mockCommands({
      get_connection: () => CONNECTION,
      get_settings: () => SETTINGS_VIEW,
      disconnect_plan: () => ({
        account: 'acme.zendesk.com',
        authMethod: 'api_token',
        trigger: null,
        webhook: null,
        revokeToken: false,
        keychain: ['api-token'],
        kept: ['the tickets in Zendesk, and their requesters'],
      }),
      disconnect: () => ({
        steps: [
          { id: 'revoke_token', state: 'warning', detail: 'API tokens cannot be revoked through the API: delete it in Admin Center > Apps and integrations > APIs > Zendesk API' },
          { id: 'forget_connection', state: 'done', detail: 'Forgot the connection to acme.zendesk.com' },
        ],
      }),
    });
    const { user } = renderApp();
    await screen.findByTestId('connected');
    await user.click(screen.getByTestId('nav-settings'));
    await user.click(await screen.findByTestId('settings-disconnect', {}, { timeout: 10_000 }));
    await user.click(await screen.findByTestId('settings-disconnect-confirm', {}, { timeout: 10_000 }));

    await screen.findByTestId('welcome-connect', {}, { timeout: 10_000 });
    expect(screen.getByTestId('screen-title').textContent).toBe('Connect');
    expect(screen.getByTestId('status-bar').textContent).toContain('Not connected');
    const farewell = screen.getByTestId('connect-disconnected');
    expect(farewell.textContent).toContain('Disconnected from acme.zendesk.com');
    expect(farewell.textContent).toContain('To finish by hand: API tokens cannot be revoked through the API');
  }, 30_000);

  it('keeps the connection when the admin leaves Connect and comes back', async () => {
    const spy = mockCommands({
      get_connection: () => CONNECTION,
      list_sessions: () => ({ sessions: [], queue: { state: 'here', reason: null } }),
    });
    const { user } = renderApp();
    await screen.findByTestId('connected');

    await user.click(screen.getByTestId('nav-relay'));
    await user.click(screen.getByTestId('nav-connect'));

    expect(screen.getByTestId('connected').textContent).toContain('Ana Admin');
    expect(callsOf(spy, 'get_connection')).toHaveLength(1);
  });
});

describe('Status bar', () => {
  it.each([
    ['nothing is saved', null, ['Not connected'], false],
    ['an account is connected', CONNECTION, ['acme.zendesk.com', 'Ana Admin <ana@acme.com>'], false],
    ['the sandbox account is connected', DEMO_CONNECTION, ['d3v-handoff.zendesk.com', 'Ana Admin'], true],
  ])('when %s, shows it', async (_case, saved, texts, demo) => {
    mockCommands({ get_connection: () => saved });
    renderApp();
    await screen.findByTestId(saved === null ? 'welcome-connect' : 'connected');

    const statusBar = screen.getByTestId('status-bar');
    for (const text of texts) {
      expect(statusBar.textContent).toContain(text);
    }
    expect(within(statusBar).queryByText('Demo') !== null).toBe(demo);
  });
});

describe('Reading the saved connection', () => {
  it('shows progress while the saved connection is read', () => {
    mockCommands({ get_connection: () => new Promise(() => undefined) });
    renderApp();

    expect(within(screen.getByRole('main')).getByText('Reading the saved connection')).toBeDefined();
    expect(screen.getByTestId('status-bar').textContent).toContain('Reading the saved connection');
  });

  it.each([
    ['keychain_unavailable', 'The system keychain is not available', 'Secret Service is not running'],
    ['storage', 'The saved settings could not be read', 'settings.sqlite3 is not a database'],
    ['internal', 'The saved connection could not be read', 'command get_connection not found'],
  ])('when it fails with %s, says so and can try again', async (code, title, message) => {
    let failures = 1;
    const spy = mockCommands({
      get_connection: () => (failures-- > 0 ? fail(code, message) : null),
    });
    const { user } = renderApp();

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain(title);
    expect(alert.textContent).toContain(message);
    expect(screen.getByTestId('status-bar').textContent).toContain('Connection unknown');

    await user.click(within(alert).getByRole('button', { name: 'Try again' }));

    await screen.findByTestId('welcome-connect');
    expect(callsOf(spy, 'get_connection')).toHaveLength(2);
  });
});

describe('Theme', () => {
  it('does not clip buttons, tabs and tags, so WebDriver counts them as displayed and reads their text', async () => {
    mockCommands({ get_connection: () => null });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));

    for (const testId of ['connect-submit', 'connect-tab-token', 'connect-advanced']) {
      expect(getComputedStyle(screen.getByTestId(testId)).overflow, testId).toBe('visible');
    }
  });
});

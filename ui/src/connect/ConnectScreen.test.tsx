import { act, screen, waitFor, within } from '@testing-library/react';
import type { UserEvent } from '@testing-library/user-event';
import type { Channel } from '@tauri-apps/api/core';
import { describe, expect, it } from 'vitest';
import type { CheckEvent, ConnectionView, VerifyReport } from '../api';
import {
  ADMIN,
  AGENT,
  CONNECTION,
  DEMO_CONNECTION,
  OAUTH_CONNECTION,
  callsOf,
  channelSender,
  check,
  deferred,
  fail,
  mockCommands,
  type CommandHandler,
} from '../test/ipc';
import { renderApp } from '../test/render';
import { scrolledIntoView } from '../test/setup';

const NORMALIZED = { subdomain: 'acme', host: 'acme.zendesk.com' };
const REDIRECT = { port: 8751, url: 'http://127.0.0.1:8751/oauth/callback' };

/** A fresh install: nothing saved, subdomains normalize, the agent exists. Tests override what they exercise. */
function freshInstall(overrides: Record<string, CommandHandler> = {}) {
  return mockCommands({
    get_connection: () => null,
    normalize_subdomain: () => NORMALIZED,
    lookup_agent: () => AGENT,
    oauth_redirect: () => REDIRECT,
    ...overrides,
  });
}

/** Opens the Connect form from the welcome card, on the legacy API-token tab the token tests exercise. */
async function openForm(user: UserEvent) {
  await user.click(await screen.findByTestId('welcome-connect'));
  await user.click(screen.getByTestId('connect-tab-token'));
}

interface Typed {
  subdomain?: string;
  email?: string;
  token?: string;
  defaultAgentId?: string;
  baseUrl?: string;
}

const TYPED_VALID: Required<Typed> = {
  subdomain: 'acme',
  email: 'ana@acme.com',
  token: 'tok-123',
  defaultAgentId: '',
  baseUrl: '',
};

/** Types each non-empty value into its field, opening "Advanced" for the base URL. */
async function fill(user: UserEvent, typed: Typed) {
  const values = { ...TYPED_VALID, ...typed };
  const fields: [keyof Typed, string][] = [
    ['subdomain', 'connect-subdomain'],
    ['email', 'connect-email'],
    ['token', 'connect-token'],
    ['defaultAgentId', 'connect-default-agent'],
  ];
  for (const [name, testId] of fields) {
    if (values[name] !== '') {
      await user.type(screen.getByTestId(testId), values[name]);
    }
  }
  if (values.baseUrl !== '') {
    await user.click(screen.getByTestId('connect-advanced'));
    await user.type(screen.getByTestId('connect-base-url'), values.baseUrl);
  }
}

describe('Welcome', () => {
  it('offers both ways in when nothing is configured', async () => {
    freshInstall();
    renderApp();

    expect((await screen.findByTestId('welcome-connect')).textContent).toBe('Connect your Zendesk');
    expect(screen.getByTestId('welcome-demo').textContent).toBe('Try with a sandbox account');
    expect(screen.getByTestId('status-bar').textContent).toContain('Not connected');
  });

  it('starts the sandbox account, shows progress, then the connected demo account', async () => {
    const demo = deferred<ConnectionView>();
    const spy = freshInstall({ start_demo: () => demo.promise });
    const { user } = renderApp();

    await user.click(await screen.findByTestId('welcome-demo'));

    expect(screen.getByText('Starting the sandbox account')).toBeDefined();
    await act(async () => {
      demo.resolve(DEMO_CONNECTION);
      await demo.promise;
    });
    const connected = await screen.findByTestId('connected');
    expect(connected.textContent).toContain('Connected');
    expect(connected.textContent).toContain(ADMIN.name);
    expect(connected.textContent).toContain('http://127.0.0.1:40123');
    const statusBar = screen.getByTestId('status-bar');
    expect(statusBar.textContent).toContain('d3v-handoff.zendesk.com');
    expect(within(statusBar).getByText('Demo')).toBeDefined();
    expect(callsOf(spy, 'start_demo')).toEqual([{}]);
  });

  it('says why the sandbox account did not start', async () => {
    freshInstall({ start_demo: () => fail('internal', 'the simulator could not bind 127.0.0.1') });
    const { user } = renderApp();

    await user.click(await screen.findByTestId('welcome-demo'));

    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The sandbox account did not start');
    expect(alert.textContent).toContain('the simulator could not bind 127.0.0.1');
    expect(screen.queryByTestId('connected')).toBeNull();
  });
});

describe('Connect form', () => {
  it('opens on the OAuth tab; the API token tab is marked legacy and carries the deadline banner', async () => {
    freshInstall();
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));

    expect(screen.getByTestId('connect-tab-oauth').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('connect-oauth-submit').textContent).toBe('Sign in with Zendesk');
    expect(screen.getByTestId('connect-oauth-client-secret').getAttribute('type')).toBe('password');
    expect(document.activeElement).toBe(screen.getByTestId('connect-oauth-subdomain'));
    expect(screen.getByTestId('connect-tab-token').textContent).toBe('API token (legacy, until 2027-04-30)');

    await user.click(screen.getByTestId('connect-tab-token'));

    expect(screen.getByTestId('connect-tab-token').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByText('API tokens stop working on 2027-04-30')).toBeDefined();
    expect(screen.getByTestId('connect-token').getAttribute('type')).toBe('password');
  });

  it.each<[string, Typed, string]>([
    ['no subdomain', { subdomain: '' }, 'Enter your Zendesk subdomain, for example acme or acme.zendesk.com.'],
    ['no email', { email: '' }, "Enter the admin's email address."],
    ['an email without @', { email: 'ana.acme.com' }, 'Enter an email address such as admin@acme.com.'],
    ['no token', { token: '' }, "Enter the admin's API token."],
    [
      'an agent id with letters',
      { defaultAgentId: '38x' },
      'A Default Agent ID is digits only, for example 381626720. Leave it empty for none.',
    ],
    [
      'a base URL without scheme',
      { baseUrl: '127.0.0.1:8080' },
      'Enter a URL that starts with http:// or https://, or leave it empty to use Zendesk itself.',
    ],
  ])('with %s, Verify & Save shows the message and sends nothing', async (_case, typed, message) => {
    const spy = freshInstall({ verify_and_save: () => ({ saved: false, checks: [], connection: null }) });
    const { user } = renderApp();
    await openForm(user);
    await fill(user, typed);

    await user.click(screen.getByTestId('connect-submit'));

    expect(await screen.findByText(message)).toBeDefined();
    expect(callsOf(spy, 'verify_and_save')).toEqual([]);
  });

  it('shows the normalized host as the subdomain is typed, asking once typing pauses', async () => {
    const spy = freshInstall({ normalize_subdomain: () => NORMALIZED });
    const { user } = renderApp();
    await openForm(user);

    await user.type(screen.getByTestId('connect-subdomain'), 'https://acme.zendesk.com/agent');

    await waitFor(() => {
      expect(screen.getByTestId('connect-subdomain-normalized').textContent).toBe('acme.zendesk.com');
    });
    expect(callsOf(spy, 'normalize_subdomain')).toEqual([{ input: 'https://acme.zendesk.com/agent' }]);
  });

  it('shows the returned message under the subdomain when it is not one', async () => {
    const message = '"acme corp" is not a Zendesk subdomain: use letters, digits and hyphens';
    freshInstall({ normalize_subdomain: () => fail('invalid_input', message) });
    const { user } = renderApp();
    await openForm(user);

    await user.type(screen.getByTestId('connect-subdomain'), 'acme corp');

    expect(await screen.findByText(message)).toBeDefined();
    expect(screen.queryByTestId('connect-subdomain-normalized')).toBeNull();
  });

  it('looks the Default Agent up with the form once everything it needs is filled', async () => {
    const spy = freshInstall();
    const { user } = renderApp();
    await openForm(user);

    await fill(user, { defaultAgentId: '381626720' });

    await waitFor(() => {
      expect(screen.getByTestId('connect-default-agent-name').textContent).toBe('Ana Agent (agent)');
    });
    expect(callsOf(spy, 'lookup_agent')).toEqual([
      {
        form: {
          subdomain: 'acme',
          email: 'ana@acme.com',
          token: 'tok-123',
          defaultAgentId: '381626720',
          baseUrl: null,
        },
        agentId: '381626720',
      },
    ]);
  });

  it('shows why the Default Agent lookup failed', async () => {
    freshInstall({ lookup_agent: () => fail('zendesk', 'No user with id 42 in acme.zendesk.com') });
    const { user } = renderApp();
    await openForm(user);

    await fill(user, { defaultAgentId: '42' });

    await waitFor(() => {
      expect(screen.getByTestId('connect-default-agent-name').textContent).toBe(
        'No user with id 42 in acme.zendesk.com',
      );
    });
  });

  it('renders each check from the channel as it runs, then says nothing was saved', async () => {
    const report = deferred<VerifyReport>();
    const channels: Channel<CheckEvent>[] = [];
    const spy = freshInstall({
      verify_and_save: (args) => {
        channels.push(args.onEvent as Channel<CheckEvent>);
        return report.promise;
      },
    });
    const { user } = renderApp();
    await openForm(user);
    await fill(user, { subdomain: ' acme ', baseUrl: 'http://127.0.0.1:8080' });

    await user.click(screen.getByTestId('connect-submit'));
    await waitFor(() => {
      expect(channels).toHaveLength(1);
    });
    const channel = channels[0];
    if (channel === undefined) throw new Error('verify_and_save received no channel');
    const checks = channelSender(channel);

    const subdomainPassed = check('subdomain', 'Subdomain', 'passed', 'acme.zendesk.com is a Zendesk account');
    const credentialsFailed: CheckEvent = {
      ...check('credentials', 'Credentials', 'failed', 'Zendesk answered 401 Unauthorized'),
      cause: 'The email and API token do not match an active user.',
      fix: 'Create a new token in Admin Center and paste it here.',
    };
    act(() => {
      checks.send(check('subdomain', 'Subdomain', 'running'));
    });
    expect(screen.getByTestId('check-subdomain').getAttribute('data-status')).toBe('running');

    act(() => {
      checks.send(subdomainPassed);
      checks.send(check('credentials', 'Credentials', 'running'));
    });
    expect(screen.getByTestId('check-subdomain').getAttribute('data-status')).toBe('passed');
    expect(screen.getByTestId('check-subdomain').textContent).toContain('acme.zendesk.com is a Zendesk account');
    expect(screen.getByTestId('check-credentials').getAttribute('data-status')).toBe('running');

    act(() => {
      checks.send(credentialsFailed);
      checks.end();
    });
    const failed = screen.getByTestId('check-credentials');
    expect(failed.getAttribute('data-status')).toBe('failed');
    expect(failed.textContent).toContain('Zendesk answered 401 Unauthorized');
    expect(failed.textContent).toContain('Cause: The email and API token do not match an active user.');
    expect(failed.textContent).toContain('Fix: Create a new token in Admin Center and paste it here.');
    expect(screen.queryByTestId('connect-not-saved')).toBeNull();

    await act(async () => {
      report.resolve({ saved: false, checks: [subdomainPassed, credentialsFailed], connection: null });
      await report.promise;
    });

    expect((await screen.findByTestId('connect-not-saved')).textContent).toContain('Nothing was saved');
    expect(screen.getAllByTestId(/^check-/).map((item) => item.getAttribute('data-testid'))).toEqual([
      'check-subdomain',
      'check-credentials',
    ]);
    expect(screen.queryByTestId('connected')).toBeNull();
    expect(screen.getByTestId('status-bar').textContent).toContain('Not connected');
    expect(callsOf(spy, 'verify_and_save')[0]?.form).toEqual({
      subdomain: 'acme',
      email: 'ana@acme.com',
      token: 'tok-123',
      defaultAgentId: null,
      baseUrl: 'http://127.0.0.1:8080',
    });
  });

  it('shows the connected account once every check passed and the connection was saved', async () => {
    const passed = [
      check('subdomain', 'Subdomain', 'passed'),
      check('credentials', 'Credentials', 'passed'),
      check('role', 'Role', 'passed', 'Ana Admin is an admin'),
      check('default_agent', 'Default agent', 'passed', 'Ana Agent (agent)'),
      check('keychain', 'Keychain', 'passed'),
    ];
    freshInstall({
      verify_and_save: (args) => {
        const checks = channelSender(args.onEvent as Channel<CheckEvent>);
        passed.forEach((event) => {
          checks.send(event);
        });
        checks.end();
        return { saved: true, checks: passed, connection: CONNECTION };
      },
    });
    const { user } = renderApp();
    await openForm(user);
    await fill(user, { defaultAgentId: '381626720' });

    await user.click(screen.getByTestId('connect-submit'));

    const connected = await screen.findByTestId('connected');
    expect(connected.textContent).toContain('Connected');
    expect(connected.textContent).toContain('Ana Admin (ana@acme.com)');
    expect(screen.queryByTestId('connect-not-saved')).toBeNull();
    expect(screen.getByTestId('status-bar').textContent).toContain('acme.zendesk.com');
  });

  it.each<[string, string, string]>([
    ['zendesk', 'Zendesk could not be reached', 'connection refused by acme.zendesk.com'],
    ['keychain_unavailable', 'The system keychain is not available', 'No Secret Service on the session bus'],
  ])('when verify_and_save fails with %s, shows its message', async (code, title, message) => {
    freshInstall({ verify_and_save: () => fail(code, message) });
    const { user } = renderApp();
    await openForm(user);
    await fill(user, {});

    await user.click(screen.getByTestId('connect-submit'));

    const alert = (await screen.findByText(message)).closest('[role="alert"]');
    expect(alert?.textContent).toContain(title);
    expect(screen.queryByTestId('connected')).toBeNull();
  });
});

describe('Connected state', () => {
  it('shows account, user, role, sign-in with its deadline, default agent and when it was connected', async () => {
    freshInstall({ get_connection: () => CONNECTION });
    renderApp();

    const connected = await screen.findByTestId('connected');
    const facts = (term: string) => within(connected).getByText(term).nextElementSibling?.textContent;
    expect(within(connected).getByRole('heading', { name: 'Connected' })).toBeDefined();
    expect(facts('Account')).toBe('acme.zendesk.com');
    expect(facts('User')).toBe('Ana Admin (ana@acme.com)');
    expect(facts('Role')).toBe('admin');
    expect(facts('Sign-in')).toBe('API token (legacy)');
    expect(facts('Default agent')).toBe('Ana Agent (agent@acme.com)');
    expect(connected.querySelector('time')?.getAttribute('dateTime')).toBe('2026-11-24T09:30:00Z');
    expect(connected.textContent).toContain('API tokens stop working on 2027-04-30 (157 days left)');
    // Zendesk's own address is not repeated as the API address; the one action is the move to OAuth.
    expect(within(connected).queryByText('API address')).toBeNull();
    expect(within(connected).getAllByRole('button').map((button) => button.textContent)).toEqual(['Move to OAuth']);
    expect(screen.queryByTestId('welcome-connect')).toBeNull();
    const statusBar = screen.getByTestId('status-bar');
    expect(statusBar.textContent).toContain('acme.zendesk.com');
    expect(statusBar.textContent).toContain('Ana Admin');
    expect(within(statusBar).queryByText('Demo')).toBeNull();
  });

  it('for OAuth shows the client and the token expiry, and leaves out the default agent and the deadline', async () => {
    freshInstall({ get_connection: () => ({ ...OAUTH_CONNECTION, defaultAgent: null }) });
    renderApp();

    const connected = await screen.findByTestId('connected');
    expect(within(connected).getByText('Sign-in').nextElementSibling?.textContent).toBe('OAuth, client handoff_console');
    const expiry = within(connected).getByTestId('connected-token-expiry');
    expect(expiry.querySelector('time')?.getAttribute('dateTime')).toBe('2026-11-24T10:00:00Z');
    expect(expiry.textContent).toContain('renewed automatically');
    expect(within(connected).queryByText('Default agent')).toBeNull();
    expect(connected.textContent).not.toContain('API tokens');
    expect(within(connected).queryAllByRole('button')).toEqual([]);
  });

  it('when Zendesk no longer accepts the sign-in, says so and offers to sign in again with the same client', async () => {
    const reason = 'Zendesk refused to renew the OAuth token (The provided authorization grant is invalid)';
    freshInstall({ get_connection: () => ({ ...OAUTH_CONNECTION, reconnectRequired: reason }) });
    const { user } = renderApp();

    const alert = await screen.findByTestId('connected-reconnect-required');
    expect(alert.textContent).toContain(reason);
    expect(within(screen.getByTestId('connected')).getByRole('heading', { level: 2 }).textContent).toBe(
      'Reconnect required',
    );
    expect(within(screen.getByTestId('status-bar')).getByText('Reconnect required')).toBeDefined();

    await user.click(screen.getByTestId('connected-reconnect'));

    expect(screen.getByTestId('connect-tab-oauth').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId<HTMLInputElement>('connect-oauth-subdomain').value).toBe('acme');
    expect(screen.getByTestId<HTMLInputElement>('connect-oauth-client-id').value).toBe('handoff_console');
    expect(screen.getByTestId<HTMLInputElement>('connect-oauth-default-agent').value).toBe(String(AGENT.id));

    await user.click(screen.getByTestId('connect-back'));
    expect(await screen.findByTestId('connected-reconnect-required')).toBeDefined();
  });
});

interface TypedOAuth {
  subdomain?: string;
  clientId?: string;
  clientSecret?: string;
  defaultAgentId?: string;
  baseUrl?: string;
}

/** Types each non-empty value into its OAuth field, opening "Advanced" for the base URL. */
async function fillOAuth(user: UserEvent, typed: TypedOAuth) {
  const values: Required<TypedOAuth> = {
    subdomain: 'acme',
    clientId: 'handoff_console',
    clientSecret: '',
    defaultAgentId: '',
    baseUrl: '',
    ...typed,
  };
  const fields: [keyof TypedOAuth, string][] = [
    ['subdomain', 'connect-oauth-subdomain'],
    ['clientId', 'connect-oauth-client-id'],
    ['clientSecret', 'connect-oauth-client-secret'],
    ['defaultAgentId', 'connect-oauth-default-agent'],
  ];
  for (const [name, testId] of fields) {
    if (values[name] !== '') {
      await user.type(screen.getByTestId(testId), values[name]);
    }
  }
  if (values.baseUrl !== '') {
    await user.click(screen.getByTestId('connect-oauth-advanced'));
    await user.type(screen.getByTestId('connect-oauth-base-url'), values.baseUrl);
  }
}

const OAUTH_PASSED = [
  check('subdomain', 'Subdomain', 'passed'),
  check('account', 'Account', 'passed'),
  check('authorization', 'Zendesk granted access', 'passed', 'Zendesk granted a token to handoff_console'),
  check('credentials', 'Credentials', 'passed', 'Signed in as Ana Admin (ana@acme.com)'),
  check('scopes', 'Scopes', 'passed'),
  check('role', 'Role', 'passed'),
  check('default_agent', 'Default agent', 'skipped'),
  check('keychain', 'Keychain', 'passed'),
];

describe('OAuth sign-in', () => {
  it.each<[string, TypedOAuth, string]>([
    ['no subdomain', { subdomain: '' }, 'Enter your Zendesk subdomain, for example acme or acme.zendesk.com.'],
    ['no client identifier', { clientId: '' }, "Enter the OAuth client's identifier, as shown in Admin Center."],
    [
      'a client name instead of its identifier',
      { clientId: 'Handoff Console' },
      'A client identifier has no spaces: copy the Identifier field of the client, not its name.',
    ],
    [
      'an agent id with letters',
      { defaultAgentId: '38x' },
      'A Default Agent ID is digits only, for example 381626720. Leave it empty for none.',
    ],
  ])('with %s, Sign in with Zendesk shows the message and opens nothing', async (_case, typed, message) => {
    const spy = freshInstall({ sign_in_with_zendesk: () => ({ saved: false, checks: [], connection: null }) });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, typed);

    await user.click(screen.getByTestId('connect-oauth-submit'));

    expect(await screen.findByText(message)).toBeDefined();
    expect(callsOf(spy, 'sign_in_with_zendesk')).toEqual([]);
  });

  it('waits for the browser with a Cancel button, which stops the sign-in; nothing is saved', async () => {
    const report = deferred<VerifyReport>();
    const channels: Channel<CheckEvent>[] = [];
    const spy = freshInstall({
      sign_in_with_zendesk: (args) => {
        channels.push(args.onEvent as Channel<CheckEvent>);
        return report.promise;
      },
      cancel_sign_in: () => null,
    });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, { subdomain: ' acme ', clientSecret: 's3cret', baseUrl: 'http://127.0.0.1:8080' });

    await user.click(screen.getByTestId('connect-oauth-submit'));
    await waitFor(() => {
      expect(channels).toHaveLength(1);
    });
    const channel = channels[0];
    if (channel === undefined) throw new Error('sign_in_with_zendesk received no channel');
    const checks = channelSender(channel);
    act(() => {
      checks.send(check('subdomain', 'Subdomain', 'passed'));
      checks.send(check('account', 'Account', 'passed'));
      checks.send(check('authorization', 'Zendesk granted access', 'running', 'Waiting for you to approve in the browser…'));
    });

    const waiting = screen.getByTestId('connect-oauth-waiting');
    expect(waiting.textContent).toContain('Waiting for you to approve in the browser…');
    expect(scrolledIntoView).toContain(waiting);
    await user.click(screen.getByTestId('connect-oauth-cancel'));
    expect(callsOf(spy, 'cancel_sign_in')).toEqual([{}]);

    const cancelled: CheckEvent = {
      ...check('authorization', 'Zendesk granted access', 'failed', 'Sign-in cancelled'),
      cause: 'The sign-in was cancelled before Zendesk answered.',
      fix: 'Choose Sign in with Zendesk to start again.',
    };
    act(() => {
      checks.send(cancelled);
      checks.end();
    });
    expect(screen.queryByTestId('connect-oauth-waiting')).toBeNull();
    await act(async () => {
      report.resolve({ saved: false, checks: [cancelled], connection: null });
      await report.promise;
    });

    expect((await screen.findByTestId('connect-not-saved')).textContent).toContain('Nothing was saved');
    expect(screen.getByTestId('check-authorization').textContent).toContain('Sign-in cancelled');
    expect(callsOf(spy, 'sign_in_with_zendesk')[0]?.form).toEqual({
      subdomain: 'acme',
      clientId: 'handoff_console',
      clientSecret: 's3cret',
      defaultAgentId: null,
      baseUrl: 'http://127.0.0.1:8080',
    });
  });

  it('names the missing scopes in the scopes check', async () => {
    const scopes: CheckEvent = {
      ...check('scopes', 'Token has the scopes the console needs', 'failed', 'The token lacks webhooks:write'),
      cause: 'Zendesk granted read. The console needs: webhooks:write (create, repair and test the webhook).',
      fix: 'Sign in again and allow every scope the console asks for.',
    };
    freshInstall({ sign_in_with_zendesk: () => ({ saved: false, checks: [...OAUTH_PASSED.slice(0, 4), scopes], connection: null }) });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, {});

    await user.click(screen.getByTestId('connect-oauth-submit'));

    const failed = await screen.findByTestId('check-scopes');
    expect(failed.getAttribute('data-status')).toBe('failed');
    expect(failed.textContent).toContain('The token lacks webhooks:write');
    expect(failed.textContent).toContain('webhooks:write (create, repair and test the webhook)');
    expect(await screen.findByTestId('connect-not-saved')).toBeDefined();
  });

  it('moves an API-token connection to OAuth, keeping the subdomain, Default Agent and base URL', async () => {
    const tokenConnection = { ...CONNECTION, baseUrl: 'http://127.0.0.1:40123/' };
    const moved = { ...OAUTH_CONNECTION, baseUrl: 'http://127.0.0.1:40123/' };
    const spy = freshInstall({
      get_connection: () => tokenConnection,
      sign_in_with_zendesk: () => ({ saved: true, checks: OAUTH_PASSED, connection: moved }),
    });
    const { user } = renderApp();

    const banner = await screen.findByTestId('connected-legacy-banner');
    expect(banner.textContent).toContain('API tokens stop working on 2027-04-30 (157 days left)');
    await user.click(screen.getByTestId('connected-move-to-oauth'));

    expect(screen.getByTestId('connect-tab-oauth').getAttribute('aria-selected')).toBe('true');
    await user.type(screen.getByTestId('connect-oauth-client-id'), 'handoff_console');
    await user.click(screen.getByTestId('connect-oauth-submit'));

    const connected = await screen.findByTestId('connected');
    await waitFor(() => {
      expect(within(connected).getByText('Sign-in').nextElementSibling?.textContent).toBe('OAuth, client handoff_console');
    });
    expect(screen.queryByTestId('connected-legacy-banner')).toBeNull();
    expect(callsOf(spy, 'sign_in_with_zendesk')[0]?.form).toEqual({
      subdomain: 'acme',
      clientId: 'handoff_console',
      clientSecret: null,
      defaultAgentId: String(AGENT.id),
      baseUrl: 'http://127.0.0.1:40123',
    });
  });

  it('when sign_in_with_zendesk fails, shows its message', async () => {
    freshInstall({ sign_in_with_zendesk: () => fail('keychain_unavailable', 'No Secret Service on the session bus') });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, {});

    await user.click(screen.getByTestId('connect-oauth-submit'));

    const alert = (await screen.findByText('No Secret Service on the session bus')).closest('[role="alert"]');
    expect(alert?.textContent).toContain('The system keychain is not available');
  });
});

describe('OAuth redirect URL', () => {
  it('shows the exact URL to register, with its port, and copies it through the app', async () => {
    const spy = freshInstall({ copy_text: () => null });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));

    const block = await screen.findByTestId('connect-oauth-redirect');
    expect(block.textContent).toContain('Redirect URL to register in your OAuth client');
    expect((await screen.findByTestId('connect-oauth-redirect-url')).textContent).toBe(
      'http://127.0.0.1:8751/oauth/callback',
    );
    // The URL comes before the client's identifier: it is registered when the client is made.
    const clientId = screen.getByTestId('connect-oauth-client-id');
    expect(block.compareDocumentPosition(clientId) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    await user.click(screen.getByTestId('connect-oauth-redirect-copy'));

    expect(callsOf(spy, 'copy_text')).toEqual([{ text: 'http://127.0.0.1:8751/oauth/callback' }]);
    expect((await screen.findByTestId('connect-oauth-redirect-message')).textContent).toBe('Copied.');
  });

  it('changes the port through the app, shows the new URL, and says why a port is refused', async () => {
    const spy = freshInstall({
      set_oauth_redirect_port: (args) =>
        args.port === '80'
          ? fail('invalid_input', 'oauth-redirect-port: 80 is below 1024, which only administrators may listen on')
          : { port: Number(args.port), url: `http://127.0.0.1:${String(args.port)}/oauth/callback` },
      sign_in_with_zendesk: () => ({ saved: false, checks: [], connection: null }),
    });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await user.click(await screen.findByTestId('connect-oauth-redirect-change'));

    const port = screen.getByTestId<HTMLInputElement>('connect-oauth-redirect-port');
    expect(port.value).toBe('8751');
    expect(document.activeElement).toBe(port);
    await user.clear(port);
    await user.type(port, '80{Enter}');

    const refused = await screen.findByTestId('connect-oauth-redirect-message');
    expect(refused.getAttribute('role')).toBe('alert');
    expect(refused.textContent).toContain('80 is below 1024');
    // Enter saved the port; it did not submit the sign-in around it.
    expect(callsOf(spy, 'sign_in_with_zendesk')).toEqual([]);
    expect(screen.getByTestId('connect-oauth-redirect-url').textContent).toBe('http://127.0.0.1:8751/oauth/callback');

    await user.clear(port);
    await user.type(port, '8790');
    await user.click(screen.getByTestId('connect-oauth-redirect-save'));

    await waitFor(() => {
      expect(screen.getByTestId('connect-oauth-redirect-url').textContent).toBe('http://127.0.0.1:8790/oauth/callback');
    });
    expect(screen.queryByTestId('connect-oauth-redirect-port')).toBeNull();
    expect(screen.getByTestId('connect-oauth-redirect-message').textContent).toContain(
      'register this new URL in your OAuth client',
    );
    expect(callsOf(spy, 'set_oauth_redirect_port')).toEqual([{ port: '80' }, { port: '8790' }]);
  });

  it('with port 0 says any free port is used and offers nothing to copy', async () => {
    freshInstall({ oauth_redirect: () => ({ port: 0, url: null }) });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));

    expect((await screen.findByTestId('connect-oauth-redirect-url')).textContent).toBe(
      'http://127.0.0.1:<any free port>/oauth/callback',
    );
    expect(screen.getByTestId('connect-oauth-redirect').textContent).toContain('must accept any port on 127.0.0.1');
    expect(screen.queryByTestId('connect-oauth-redirect-copy')).toBeNull();
  });

  it('when the port is taken, the fix opens the port field instead of naming a command', async () => {
    const taken: CheckEvent = {
      ...check('authorization', 'Zendesk granted access', 'failed', 'Port 8751 is in use by another program'),
      cause:
        'Another program already listens on 127.0.0.1:8751, the port of the redirect URL (http://127.0.0.1:8751/oauth/callback), so the sign-in cannot receive Zendesk\'s answer there.',
      fix: 'Close the program that listens on 127.0.0.1:8751, or pick another port: `handoff config set oauth-redirect-port N`, then register it and sign in again.',
      redirectPortTaken: 8751,
    };
    freshInstall({
      sign_in_with_zendesk: () => ({ saved: false, checks: [...OAUTH_PASSED.slice(0, 2), taken], connection: null }),
    });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, {});
    await user.click(screen.getByTestId('connect-oauth-submit'));

    const failed = await screen.findByTestId('check-authorization');
    expect(failed.textContent).toContain('Port 8751 is in use by another program');
    const fix = screen.getByTestId('fix-authorization');
    expect(fix.textContent).toContain('Close the program that listens on 127.0.0.1:8751, or choose another port');
    expect(fix.textContent).not.toContain('handoff config set');
    expect(await screen.findByTestId('connect-not-saved')).toBeDefined();

    await user.click(screen.getByTestId('connect-oauth-port-taken-change'));

    const port = screen.getByTestId<HTMLInputElement>('connect-oauth-redirect-port');
    expect(port.value).toBe('8751');
    expect(document.activeElement).toBe(port);
    // The check is below the form: the whole redirect group comes into view, not only the field.
    expect(scrolledIntoView).toContain(screen.getByTestId('connect-oauth-redirect'));
  });

  it('keeps the port while a sign-in listens on it', async () => {
    const report = deferred<VerifyReport>();
    freshInstall({ sign_in_with_zendesk: () => report.promise });
    const { user } = renderApp();
    await user.click(await screen.findByTestId('welcome-connect'));
    await fillOAuth(user, {});
    await user.click(screen.getByTestId('connect-oauth-submit'));

    const change = await screen.findByTestId('connect-oauth-redirect-change');
    await waitFor(() => {
      expect(change.getAttribute('aria-disabled')).toBe('true');
    });
    await user.click(change);
    expect(screen.queryByTestId('connect-oauth-redirect-port')).toBeNull();
    await act(async () => {
      report.resolve({ saved: false, checks: [], connection: null });
      await report.promise;
    });
  });
});

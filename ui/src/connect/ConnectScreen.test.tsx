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
  callsOf,
  channelSender,
  check,
  deferred,
  fail,
  mockCommands,
  type CommandHandler,
} from '../test/ipc';
import { renderApp } from '../test/render';

const NORMALIZED = { subdomain: 'acme', host: 'acme.zendesk.com' };

/** A fresh install: nothing saved, subdomains normalize, the agent exists. Tests override what they exercise. */
function freshInstall(overrides: Record<string, CommandHandler> = {}) {
  return mockCommands({
    get_connection: () => null,
    normalize_subdomain: () => NORMALIZED,
    lookup_agent: () => AGENT,
    ...overrides,
  });
}

async function openForm(user: UserEvent) {
  await user.click(await screen.findByTestId('welcome-connect'));
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
  it('opens on the API token tab with the deadline banner, and OAuth says it is not there yet', async () => {
    freshInstall();
    const { user } = renderApp();
    await openForm(user);

    expect(screen.getByTestId('connect-tab-token').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByText('API tokens stop working on 2027-04-30')).toBeDefined();
    expect(screen.getByTestId('connect-token').getAttribute('type')).toBe('password');

    await user.click(screen.getByTestId('connect-tab-oauth'));

    expect(screen.getByTestId('connect-tab-oauth').getAttribute('aria-selected')).toBe('true');
    expect(
      screen.getByText('OAuth sign-in arrives in the next release; until then use an API token.'),
    ).toBeDefined();
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
    // Zendesk's own address is not repeated as the API address, and no action that does not exist yet is offered.
    expect(within(connected).queryByText('API address')).toBeNull();
    expect(within(connected).queryAllByRole('button')).toEqual([]);
    expect(screen.queryByTestId('welcome-connect')).toBeNull();
    const statusBar = screen.getByTestId('status-bar');
    expect(statusBar.textContent).toContain('acme.zendesk.com');
    expect(statusBar.textContent).toContain('Ana Admin');
    expect(within(statusBar).queryByText('Demo')).toBeNull();
  });

  it('leaves out the default agent and the deadline when there are none', async () => {
    freshInstall({
      get_connection: () => ({ ...CONNECTION, authMethod: 'oauth', apiTokenDeadline: null, defaultAgent: null }),
    });
    renderApp();

    const connected = await screen.findByTestId('connected');
    expect(within(connected).getByText('Sign-in').nextElementSibling?.textContent).toBe('OAuth');
    expect(within(connected).queryByText('Default agent')).toBeNull();
    expect(connected.textContent).not.toContain('API tokens');
  });
});

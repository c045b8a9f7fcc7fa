import { describe, expect, it } from 'vitest';
import { Channel } from '@tauri-apps/api/core';
import { cancelSignIn, CommandError, getConnection, signInWithZendesk, verifyAndSave } from './api';
import { callsOf, fail, mockCommands } from './test/ipc';

describe('CommandError.from', () => {
  it.each<[string, unknown, string, string]>([
    ['the Rust shape', { code: 'zendesk', message: 'Zendesk answered 503' }, 'zendesk', 'Zendesk answered 503'],
    ['every known code', { code: 'keychain_unavailable', message: 'm' }, 'keychain_unavailable', 'm'],
    ['an unknown code', { code: 'brand_new', message: 'm' }, 'internal', 'm'],
    ['a message without a code', { message: 'm' }, 'internal', 'm'],
    ['a bare string', 'command verify_and_save not found', 'internal', 'command verify_and_save not found'],
    ['nothing', undefined, 'internal', 'The app reported an error without a description.'],
    ['an object without a message', { code: 'storage' }, 'internal', 'The app reported an error without a description.'],
  ])('reads %s', (_case, raw, code, message) => {
    const error = CommandError.from(raw);
    expect(error).toBeInstanceOf(CommandError);
    expect({ code: error.code, message: error.message }).toEqual({ code, message });
  });
});

describe('commands', () => {
  it('reject with a CommandError carrying the code and message the Rust side sent', async () => {
    mockCommands({ get_connection: () => fail('storage', 'settings.sqlite3 is locked') });

    const failure = await getConnection().catch((raw: unknown) => raw);

    expect(failure).toBeInstanceOf(CommandError);
    expect(failure).toMatchObject({ code: 'storage', message: 'settings.sqlite3 is locked' });
  });

  it('send verify_and_save the form and a Channel as onEvent', async () => {
    const spy = mockCommands({ verify_and_save: () => ({ saved: false, checks: [], connection: null }) });
    const form = { subdomain: 'acme', email: 'ana@acme.com', token: 't', defaultAgentId: null, baseUrl: null };

    await verifyAndSave(form, () => undefined);

    const [args] = callsOf(spy, 'verify_and_save');
    expect(args?.form).toEqual(form);
    expect(args?.onEvent).toBeInstanceOf(Channel);
  });

  it('send sign_in_with_zendesk the OAuth form and a Channel, and cancel_sign_in nothing', async () => {
    const spy = mockCommands({
      sign_in_with_zendesk: () => ({ saved: false, checks: [], connection: null }),
      cancel_sign_in: () => null,
    });
    const form = { subdomain: 'acme', clientId: 'handoff_console', clientSecret: null, defaultAgentId: null, baseUrl: null };

    await signInWithZendesk(form, () => undefined);
    await cancelSignIn();

    const [args] = callsOf(spy, 'sign_in_with_zendesk');
    expect(args?.form).toEqual(form);
    expect(args?.onEvent).toBeInstanceOf(Channel);
    expect(callsOf(spy, 'cancel_sign_in')).toEqual([{}]);
  });
});

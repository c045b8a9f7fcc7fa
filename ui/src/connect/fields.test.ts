import { describe, expect, it } from 'vitest';
import {
  agentLookupForm,
  toConnectForm,
  toOAuthForm,
  validateFields,
  validateOAuthFields,
  type ConnectFields,
  type OAuthFields,
} from './fields';

const VALID: ConnectFields = {
  subdomain: 'acme',
  email: 'ana@acme.com',
  token: 'tok-123',
  defaultAgentId: '',
  baseUrl: '',
};

describe('validateFields', () => {
  it.each<[string, Partial<ConnectFields>, keyof ConnectFields, string]>([
    ['empty subdomain', { subdomain: '' }, 'subdomain', 'Enter your Zendesk subdomain'],
    ['blank subdomain', { subdomain: '   ' }, 'subdomain', 'Enter your Zendesk subdomain'],
    ['empty email', { email: '' }, 'email', "Enter the admin's email address."],
    ['email without @', { email: 'ana.acme.com' }, 'email', 'Enter an email address such as admin@acme.com.'],
    ['email without domain dot', { email: 'ana@acme' }, 'email', 'Enter an email address such as admin@acme.com.'],
    ['email with a space', { email: 'ana @acme.com' }, 'email', 'Enter an email address such as admin@acme.com.'],
    ['empty token', { token: '' }, 'token', "Enter the admin's API token."],
    ['blank token', { token: '  ' }, 'token', "Enter the admin's API token."],
    ['agent id with a letter', { defaultAgentId: '38a' }, 'defaultAgentId', 'A Default Agent ID is digits only'],
    ['negative agent id', { defaultAgentId: '-5' }, 'defaultAgentId', 'A Default Agent ID is digits only'],
    ['agent id with a space inside', { defaultAgentId: '38 16' }, 'defaultAgentId', 'A Default Agent ID is digits only'],
    ['base URL without scheme', { baseUrl: '127.0.0.1:8080' }, 'baseUrl', 'Enter a URL that starts with http://'],
  ])('%s is refused with its message', (_case, change, field, message) => {
    const errors = validateFields({ ...VALID, ...change });
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toContain(message);
  });

  it.each<[string, Partial<ConnectFields>]>([
    ['the minimal form', {}],
    ['a full URL as subdomain', { subdomain: 'https://acme.zendesk.com/agent' }],
    ['a numeric agent id with spaces around', { defaultAgentId: ' 381626720 ' }],
    ['a simulator base URL', { baseUrl: 'http://127.0.0.1:8080' }],
  ])('%s is accepted', (_case, change) => {
    expect(validateFields({ ...VALID, ...change })).toEqual({});
  });
});

describe('toConnectForm', () => {
  it('trims every value and turns empty optional fields into null', () => {
    expect(
      toConnectForm({ subdomain: ' acme ', email: ' ana@acme.com', token: 'tok ', defaultAgentId: ' ', baseUrl: '' }),
    ).toEqual({ subdomain: 'acme', email: 'ana@acme.com', token: 'tok', defaultAgentId: null, baseUrl: null });
  });

  it('keeps filled optional fields', () => {
    expect(toConnectForm({ ...VALID, defaultAgentId: '381626720', baseUrl: 'http://127.0.0.1:8080/' })).toEqual({
      ...VALID,
      defaultAgentId: '381626720',
      baseUrl: 'http://127.0.0.1:8080/',
    });
  });
});

describe('agentLookupForm', () => {
  it.each<[string, Partial<ConnectFields>, boolean]>([
    ['everything filled', { defaultAgentId: '381626720' }, true],
    ['no agent id', {}, false],
    ['agent id not digits', { defaultAgentId: 'ana' }, false],
    ['no subdomain', { defaultAgentId: '381626720', subdomain: '' }, false],
    ['email not an email', { defaultAgentId: '381626720', email: 'ana' }, false],
    ['no token', { defaultAgentId: '381626720', token: '' }, false],
    ['bad base URL', { defaultAgentId: '381626720', baseUrl: 'nope' }, false],
  ])('with %s: lookup ready = %s', (_case, change, ready) => {
    expect(agentLookupForm({ ...VALID, ...change }) !== null).toBe(ready);
  });
});

describe('validateOAuthFields', () => {
  const OAUTH_VALID: OAuthFields = {
    subdomain: 'acme',
    clientId: 'handoff_console',
    clientSecret: '',
    defaultAgentId: '',
    baseUrl: '',
  };

  it.each<[string, Partial<OAuthFields>, keyof OAuthFields, string]>([
    ['empty subdomain', { subdomain: ' ' }, 'subdomain', 'Enter your Zendesk subdomain'],
    ['empty client identifier', { clientId: '  ' }, 'clientId', "Enter the OAuth client's identifier"],
    ['client name with spaces', { clientId: 'Handoff Console' }, 'clientId', 'has no spaces'],
    ['agent id with a letter', { defaultAgentId: '38a' }, 'defaultAgentId', 'digits only'],
    ['base URL without scheme', { baseUrl: '127.0.0.1:8080' }, 'baseUrl', 'starts with http://'],
  ])('%s is refused with its message', (_case, change, field, message) => {
    const errors = validateOAuthFields({ ...OAUTH_VALID, ...change });
    expect(Object.keys(errors)).toEqual([field]);
    expect(errors[field]).toContain(message);
  });

  it('accepts a public client (no secret) and sends trimmed values, empty ones as null', () => {
    expect(validateOAuthFields(OAUTH_VALID)).toEqual({});
    expect(toOAuthForm({ ...OAUTH_VALID, subdomain: ' acme ', clientSecret: '  ', defaultAgentId: ' 42 ' })).toEqual({
      subdomain: 'acme',
      clientId: 'handoff_console',
      clientSecret: null,
      defaultAgentId: '42',
      baseUrl: null,
    });
  });
});

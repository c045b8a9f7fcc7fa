/**
 * The Connect form's fields as typed, the checks made before anything is sent, and the `ConnectForm` the commands
 * receive. Pure functions, so the rules are tested without rendering.
 */
import type { ConnectForm, OAuthForm } from '../api';

/** The Connect form's inputs exactly as typed, untrimmed. */
export interface ConnectFields {
  subdomain: string;
  email: string;
  token: string;
  defaultAgentId: string;
  baseUrl: string;
}

/** Field name to the message shown under it. A field without an entry is valid. */
export type FieldErrors = Partial<Record<keyof ConnectFields, string>>;

export const EMPTY_FIELDS: ConnectFields = { subdomain: '', email: '', token: '', defaultAgentId: '', baseUrl: '' };

// Deliberately loose: Zendesk is the judge of a real address; this only catches a slip such as a missing "@".
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DIGITS = /^\d+$/;
const HTTP_URL = /^https?:\/\/\S+$/i;

/** Messages for what is wrong before the form may be submitted; empty when it may be. */
export function validateFields(fields: ConnectFields): FieldErrors {
  const errors: FieldErrors = {};
  const subdomain = fields.subdomain.trim();
  const email = fields.email.trim();
  const token = fields.token.trim();
  const agentId = fields.defaultAgentId.trim();
  const baseUrl = fields.baseUrl.trim();

  if (subdomain === '') {
    errors.subdomain = 'Enter your Zendesk subdomain, for example acme or acme.zendesk.com.';
  }
  if (email === '') {
    errors.email = "Enter the admin's email address.";
  } else if (!EMAIL_SHAPE.test(email)) {
    errors.email = 'Enter an email address such as admin@acme.com.';
  }
  if (token === '') {
    errors.token = "Enter the admin's API token.";
  }
  if (agentId !== '' && !DIGITS.test(agentId)) {
    errors.defaultAgentId = 'A Default Agent ID is digits only, for example 381626720. Leave it empty for none.';
  }
  if (baseUrl !== '' && !HTTP_URL.test(baseUrl)) {
    errors.baseUrl = 'Enter a URL that starts with http:// or https://, or leave it empty to use Zendesk itself.';
  }
  return errors;
}

/** The command payload: trimmed values, optional fields `null` when empty. */
export function toConnectForm(fields: ConnectFields): ConnectForm {
  const agentId = fields.defaultAgentId.trim();
  const baseUrl = fields.baseUrl.trim();
  return {
    subdomain: fields.subdomain.trim(),
    email: fields.email.trim(),
    token: fields.token.trim(),
    defaultAgentId: agentId === '' ? null : agentId,
    baseUrl: baseUrl === '' ? null : baseUrl,
  };
}

/**
 * The form to look the Default Agent up with, once every field that lookup needs is filled and valid; `null` until
 * then, so no request is made with half the credentials.
 */
export function agentLookupForm(fields: ConnectFields): ConnectForm | null {
  const errors = validateFields(fields);
  const form = toConnectForm(fields);
  const ready =
    form.defaultAgentId !== null &&
    errors.subdomain === undefined &&
    errors.email === undefined &&
    errors.token === undefined &&
    errors.defaultAgentId === undefined &&
    errors.baseUrl === undefined;
  return ready ? form : null;
}

/** The OAuth tab's inputs exactly as typed, untrimmed. */
export interface OAuthFields {
  subdomain: string;
  clientId: string;
  clientSecret: string;
  defaultAgentId: string;
  baseUrl: string;
}

/** Field name to the message shown under it, for the OAuth tab. */
export type OAuthFieldErrors = Partial<Record<keyof OAuthFields, string>>;

export const EMPTY_OAUTH_FIELDS: OAuthFields = {
  subdomain: '',
  clientId: '',
  clientSecret: '',
  defaultAgentId: '',
  baseUrl: '',
};

/** Messages for what is wrong on the OAuth tab before "Sign in with Zendesk" may run; empty when it may. */
export function validateOAuthFields(fields: OAuthFields): OAuthFieldErrors {
  const shared = validateFields({
    subdomain: fields.subdomain,
    // The OAuth tab has no email or token; stand-ins keep the shared rules to the fields both tabs have.
    email: 'oauth@example.com',
    token: 'oauth',
    defaultAgentId: fields.defaultAgentId,
    baseUrl: fields.baseUrl,
  });
  const errors: OAuthFieldErrors = {};
  if (shared.subdomain !== undefined) errors.subdomain = shared.subdomain;
  if (shared.defaultAgentId !== undefined) errors.defaultAgentId = shared.defaultAgentId;
  if (shared.baseUrl !== undefined) errors.baseUrl = shared.baseUrl;
  if (fields.clientId.trim() === '') {
    errors.clientId = "Enter the OAuth client's identifier, as shown in Admin Center.";
  } else if (/\s/.test(fields.clientId.trim())) {
    errors.clientId = "A client identifier has no spaces: copy the Identifier field of the client, not its name.";
  }
  return errors;
}

/** The `sign_in_with_zendesk` payload: trimmed values, optional fields `null` when empty. */
export function toOAuthForm(fields: OAuthFields): OAuthForm {
  const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
  return {
    subdomain: fields.subdomain.trim(),
    clientId: fields.clientId.trim(),
    clientSecret: orNull(fields.clientSecret),
    defaultAgentId: orNull(fields.defaultAgentId),
    baseUrl: orNull(fields.baseUrl),
  };
}

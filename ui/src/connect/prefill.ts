import type { ConnectionView } from '../api';

/**
 * What the Connect form starts with. Empty for a first connection; taken from the saved connection for "Move to
 * OAuth" and "Sign in again", so the subdomain, the Default Agent and the base URL (and every setting stored
 * elsewhere) are kept.
 */
export interface ConnectPrefill {
  subdomain: string;
  clientId: string;
  defaultAgentId: string;
  baseUrl: string;
}

export const EMPTY_PREFILL: ConnectPrefill = { subdomain: '', clientId: '', defaultAgentId: '', baseUrl: '' };

/** The form values that reconnect `connection` the same way, minus the credentials. */
export function prefillFrom(connection: ConnectionView): ConnectPrefill {
  // The base URL is only an override when it is not the account's own address (demo mode, a proxy).
  const baseUrl = connection.baseUrl.replace(/\/+$/, '');
  return {
    subdomain: connection.subdomain,
    clientId: connection.oauth?.clientId ?? '',
    defaultAgentId: connection.defaultAgent === null ? '' : String(connection.defaultAgent.id),
    baseUrl: baseUrl === `https://${connection.host}` ? '' : baseUrl,
  };
}

/**
 * Test doubles for the Rust side: a command handler for `mockIPC` whose calls can be asserted, a channel sender
 * that delivers messages the way the Rust side does, deferred answers, and sample data shaped like the contract.
 */
import { vi } from 'vitest';
import { mockIPC } from '@tauri-apps/api/mocks';
import type { Channel, InvokeArgs } from '@tauri-apps/api/core';
import type { CheckEvent, ConnectionView, UserView } from '../api';

/** What a mocked command does with its arguments: return a value, or throw/reject to fail like the Rust side. */
export type CommandHandler = (args: Record<string, unknown>) => unknown;

/**
 * Installs `mockIPC` with one handler per command and returns the spy, so tests assert which commands ran with
 * which arguments. A command without a handler fails the way a Tauri build without that command would.
 */
export function mockCommands(handlers: Record<string, CommandHandler>) {
  const spy = vi.fn((command: string, args?: InvokeArgs): unknown => {
    const handler = handlers[command];
    if (handler === undefined) {
      throw new Error(`command ${command} not found`);
    }
    return handler(namedArguments(args));
  });
  mockIPC(spy);
  return spy;
}

/** The arguments of every call of `command` the spy saw, in order. */
export function callsOf(spy: ReturnType<typeof mockCommands>, command: string): Record<string, unknown>[] {
  return spy.mock.calls.filter(([name]) => name === command).map(([, args]) => namedArguments(args));
}

// The console only ever sends named arguments (an object); raw binary payloads would show up as no arguments.
function namedArguments(args: InvokeArgs | undefined): Record<string, unknown> {
  return args === undefined || Array.isArray(args) || args instanceof ArrayBuffer || args instanceof Uint8Array
    ? {}
    : args;
}

/**
 * A failed command exactly as the Rust side reports it: the `invoke` promise rejects with a plain
 * `{ code, message }` object, not an `Error`.
 */
export function fail(code: string, message: string): Promise<never> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- this is the wire shape under test
  return Promise.reject({ code, message });
}

interface TauriInternals {
  runCallback: (id: number, data: unknown) => void;
}

/**
 * Sends on a `Channel` the way the Rust side does: each message is delivered to the channel's callback as
 * `{ index, message }` with increasing indices, and `{ index, end: true }` closes it. Under `mockIPC` the command
 * receives the `Channel` object itself (nothing is serialized), so its `id` is the callback to run.
 */
export function channelSender<T>(channel: Channel<T>) {
  const internals = (window as unknown as { __TAURI_INTERNALS__: TauriInternals }).__TAURI_INTERNALS__;
  let index = 0;
  return {
    send(message: T) {
      internals.runCallback(channel.id, { index, message });
      index += 1;
    },
    end() {
      internals.runCallback(channel.id, { index, end: true });
    },
  };
}

/** A promise the test settles when it chooses, to observe the UI while a command is still running. */
export function deferred<T>() {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((settle, fail) => {
    resolve = settle;
    reject = fail;
  });
  return { promise, resolve, reject };
}

export const ADMIN: UserView = { id: 6130907993114, name: 'Ana Admin', email: 'ana@acme.com', role: 'admin' };
export const AGENT: UserView = { id: 381626720, name: 'Ana Agent', email: 'agent@acme.com', role: 'agent' };

/** A saved API-token connection to acme.zendesk.com. */
export const CONNECTION: ConnectionView = {
  subdomain: 'acme',
  host: 'acme.zendesk.com',
  baseUrl: 'https://acme.zendesk.com',
  authMethod: 'api_token',
  user: ADMIN,
  defaultAgent: AGENT,
  demo: false,
  connectedAt: '2026-11-24T09:30:00Z',
  apiTokenDeadline: { date: '2027-04-30', daysLeft: 157 },
  oauth: null,
  reconnectRequired: null,
  refreshInterrupted: false,
};

/** The same account connected with OAuth: no deadline, the client and the token's expiry instead. */
export const OAUTH_CONNECTION: ConnectionView = {
  ...CONNECTION,
  authMethod: 'oauth',
  apiTokenDeadline: null,
  oauth: {
    clientId: 'handoff_console',
    grant: 'authorization_code',
    scopes: ['users:read', 'tickets:write'],
    tokenExpiresAt: '2026-11-24T10:00:00Z',
  },
};

/** The sandbox account as `start_demo` returns it: the simulator's address, flagged as demo. */
export const DEMO_CONNECTION: ConnectionView = {
  ...CONNECTION,
  subdomain: 'd3v-handoff',
  host: 'd3v-handoff.zendesk.com',
  baseUrl: 'http://127.0.0.1:40123',
  demo: true,
  defaultAgent: null,
};

/** A check event with no explanation; override what a test needs. */
export function check(id: CheckEvent['id'], label: string, status: CheckEvent['status'], detail = ''): CheckEvent {
  return { id, label, status, detail, cause: null, fix: null, redirectPortTaken: null };
}

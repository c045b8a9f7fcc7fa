/**
 * The desktop app's commands, typed. This is the only module that calls `invoke`: every screen goes through it,
 * so the unit tests (mockIPC) and the end-to-end tests (the real window) exercise the same calls.
 *
 * Every command either resolves with its value or rejects with a `CommandError`. Callers branch on `code`, never on
 * `message`: the message is for people and may change wording at any time.
 */
import { Channel, invoke } from '@tauri-apps/api/core';

/** The error classes the Rust side reports; the UI branches only on these. */
export type CommandErrorCode =
  | 'invalid_input'
  | 'keychain_unavailable'
  | 'storage'
  | 'zendesk'
  | 'not_connected'
  | 'internal';

const COMMAND_ERROR_CODES: readonly CommandErrorCode[] = [
  'invalid_input',
  'keychain_unavailable',
  'storage',
  'zendesk',
  'not_connected',
  'internal',
];

/** A failed command: a stable `code` to branch on and a `message` to show as is. */
export class CommandError extends Error {
  readonly code: CommandErrorCode;

  constructor(code: CommandErrorCode, message: string) {
    super(message);
    this.name = 'CommandError';
    this.code = code;
  }

  /**
   * Turns whatever a rejected `invoke` produced into a `CommandError`. The Rust side always sends `{code, message}`;
   * anything else (a command missing from the build, a panic turned into a string) is `internal`, with its text kept
   * so the person seeing it can report it.
   */
  static from(raw: unknown): CommandError {
    if (raw instanceof CommandError) {
      return raw;
    }
    if (typeof raw === 'object' && raw !== null && 'message' in raw && typeof raw.message === 'string') {
      const code = 'code' in raw ? raw.code : undefined;
      const known = COMMAND_ERROR_CODES.find((candidate) => candidate === code);
      return new CommandError(known ?? 'internal', raw.message);
    }
    if (typeof raw === 'string' && raw.length > 0) {
      return new CommandError('internal', raw);
    }
    return new CommandError('internal', 'The app reported an error without a description.');
  }
}

/** A Zendesk user as the console shows it. `role` is Zendesk's: "admin", "agent", "end-user"... */
export interface UserView {
  id: number;
  name: string;
  email: string | null;
  role: string;
}

/** How the console signs in to Zendesk. */
export type AuthMethod = 'api_token' | 'oauth';

/** The saved connection to a Zendesk account. */
export interface ConnectionView {
  /** "acme" */
  subdomain: string;
  /** "acme.zendesk.com" */
  host: string;
  /** The API base actually used: the simulator's address in demo mode, or a proxy when one was set. */
  baseUrl: string;
  authMethod: AuthMethod;
  user: UserView;
  defaultAgent: UserView | null;
  demo: boolean;
  /** RFC 3339. */
  connectedAt: string;
  /** Set for API-token connections: the day Zendesk stops accepting API tokens, and how far away it is. */
  apiTokenDeadline: { date: string; daysLeft: number } | null;
  /** Set for OAuth connections: the client signed in with and the current access token's expiry. */
  oauth: OAuthView | null;
  /** Set when Zendesk no longer accepts the saved credentials: why, in a sentence. The admin must sign in again. */
  reconnectRequired: string | null;
  /** A token renewal was interrupted and Zendesk could not be asked yet whether the stored tokens work. */
  refreshInterrupted: boolean;
}

/** How an OAuth connection signs in. No token ever crosses to the UI. */
export interface OAuthView {
  /** The OAuth client's unique identifier, as registered in Admin Center. */
  clientId: string;
  grant: 'authorization_code' | 'client_credentials';
  /** The scopes Zendesk granted. */
  scopes: string[];
  /** RFC 3339; the console renews the token a minute before. */
  tokenExpiresAt: string | null;
}

/** What the admin typed on the Connect form, trimmed; optional fields are `null` when left empty. */
export interface ConnectForm {
  subdomain: string;
  email: string;
  token: string;
  defaultAgentId: string | null;
  baseUrl: string | null;
}

/**
 * What the admin typed on the OAuth tab, trimmed; optional fields are `null` when left empty. `clientSecret` is only
 * for a confidential client; a public client signs in with PKCE alone.
 */
export interface OAuthForm {
  subdomain: string;
  clientId: string;
  clientSecret: string | null;
  defaultAgentId: string | null;
  baseUrl: string | null;
}

/**
 * The checks "Verify & Save" runs, in the order it runs them. `authorization` (Zendesk granted a token) and `scopes`
 * (the token has every scope the console needs) belong to OAuth sign-in only.
 */
export type CheckId =
  | 'subdomain'
  | 'account'
  | 'authorization'
  | 'credentials'
  | 'scopes'
  | 'role'
  | 'default_agent'
  | 'keychain';

/** Where one check stands. A check may be reported as `running` and then again with its final status. */
export type CheckStatus = 'running' | 'passed' | 'failed' | 'warning' | 'skipped';

/** One check's progress, streamed while "Verify & Save" runs; `cause` and `fix` explain failures and warnings. */
export interface CheckEvent {
  id: CheckId;
  label: string;
  status: CheckStatus;
  detail: string;
  cause: string | null;
  fix: string | null;
  /** The sign-in's redirect port another program holds, when that is why the check failed: offer another port. */
  redirectPortTaken: number | null;
}

/** The outcome of "Verify & Save". `saved` is false unless every required check passed. */
export interface VerifyReport {
  saved: boolean;
  checks: CheckEvent[];
  connection: ConnectionView | null;
}

/** A subdomain as Zendesk knows it: "acme" and its host "acme.zendesk.com". */
export interface NormalizedSubdomain {
  subdomain: string;
  host: string;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw CommandError.from(raw);
  }
}

/** The saved connection, or `null` when nothing is configured yet. */
export function getConnection(): Promise<ConnectionView | null> {
  return call<ConnectionView | null>('get_connection');
}

/** Normalizes what the admin typed ("acme", "acme.zendesk.com", a URL) or rejects it with `invalid_input`. */
export function normalizeSubdomain(input: string): Promise<NormalizedSubdomain> {
  return call<NormalizedSubdomain>('normalize_subdomain', { input });
}

/** Looks up the agent with this id in the account the form describes, without saving anything. */
export function lookupAgent(form: ConnectForm, agentId: string): Promise<UserView> {
  return call<UserView>('lookup_agent', { form, agentId });
}

/**
 * Runs every connection check and saves only when all required ones pass. `onCheck` receives each check as it
 * starts and as it finishes, before the returned report arrives.
 */
export function verifyAndSave(form: ConnectForm, onCheck: (event: CheckEvent) => void): Promise<VerifyReport> {
  const onEvent = new Channel<CheckEvent>();
  onEvent.onmessage = onCheck;
  return call<VerifyReport>('verify_and_save', { form, onEvent });
}

/**
 * "Sign in with Zendesk": the app opens the system browser at the account's sign-in page and waits for the admin to
 * approve; the `authorization` check stays `running` meanwhile. Then the same checks as "Verify & Save" run, each
 * sent to `onCheck`; the connection is saved only when every required one passes.
 */
export function signInWithZendesk(form: OAuthForm, onCheck: (event: CheckEvent) => void): Promise<VerifyReport> {
  const onEvent = new Channel<CheckEvent>();
  onEvent.onmessage = onCheck;
  return call<VerifyReport>('sign_in_with_zendesk', { form, onEvent });
}

/** Stops waiting for the browser; the pending `signInWithZendesk` then reports the sign-in as cancelled. */
export async function cancelSignIn(): Promise<void> {
  await call<null>('cancel_sign_in');
}

/** Starts the sandbox account (the built-in simulator) and connects to it. */
/**
 * The browser sign-in's redirect: the loopback port it listens on and the URL to register in the OAuth client
 * (`http://127.0.0.1:<port>/oauth/callback`); `url` is null for port 0, where the system picks a port each time.
 */
export interface OAuthRedirect {
  port: number;
  url: string | null;
}

/** The redirect the next "Sign in with Zendesk" uses. */
export function oauthRedirect(): Promise<OAuthRedirect> {
  return call<OAuthRedirect>('oauth_redirect');
}

/** Saves the redirect port once the app has checked it (1024–65535, or 0); rejects `invalid_input` with why. */
export function setOAuthRedirectPort(port: string): Promise<OAuthRedirect> {
  return call<OAuthRedirect>('set_oauth_redirect_port', { port });
}

export function startDemo(): Promise<ConnectionView> {
  return call<ConnectionView>('start_demo');
}

/** A Zendesk ticket field, as the AI Fields picker lists it. */
export interface FieldView {
  id: number;
  title: string;
  /** Zendesk's type name: `tagger` (drop-down), `text`, `textarea`, `checkbox`, `subject`... */
  type: string;
  active: boolean;
  /** Whether the AI can fill it; when not, `reason` says why in a sentence. */
  mappable: boolean;
  reason: string | null;
  optionCount: number;
}

/** A field the AI fills at handoff, with the admin's description and whether Zendesk changed it since. */
export interface MappedFieldView {
  fieldId: number;
  title: string;
  type: string;
  description: string;
  status: 'ok' | 'drift';
  /** What changed in Zendesk and what to do, when `status` is `drift`. */
  drift: string | null;
}

/** The AI Fields screen's data. */
export interface FieldsOverview {
  /** Every ticket field of the account, system and inactive ones included, in Zendesk's order. */
  fields: FieldView[];
  mapped: MappedFieldView[];
  /** Values Zendesk dropped from tickets the handoff wrote, each as a sentence. */
  dropped: string[];
  /** RFC 3339: when the fields were fetched from Zendesk. */
  fetchedAt: string;
  /** The example description shown in the empty description box. */
  descriptionPlaceholder: string;
}

/** What a mapped field would get for the previewed conversation. */
export interface PreviewFillView {
  fieldId: number;
  title: string;
  /** The option value (or text) written on the ticket; `null` leaves the field empty. */
  value: string | null;
  /** The chosen option's display name, for a drop-down. */
  optionName: string | null;
  /** Confidence between 0 and 1; below 0.5 the field stays empty. */
  score: number;
  why: string;
}

/** The fields and mappings; `refresh` fetches the fields from Zendesk now rather than when the cache is stale. */
export function getFields(refresh: boolean): Promise<FieldsOverview> {
  return call<FieldsOverview>('fields_overview', { refresh });
}

/** Maps a field: the AI fills it at handoff as `description` says. */
export async function mapField(fieldId: number, description: string): Promise<void> {
  await call<null>('map_field', { fieldId, description });
}

/** Stops filling a field. */
export async function unmapField(fieldId: number): Promise<void> {
  await call<null>('unmap_field', { fieldId });
}

/** Runs the mappings on a pasted conversation (one turn per line: `Customer: ...`, `AI: ...`, `Agent: ...`). */
export function previewFields(conversation: string): Promise<PreviewFillView[]> {
  return call<PreviewFillView[]>('preview_fields', { conversation });
}

/** Where a conversation happens. */
export type SessionChannel = 'email' | 'whatsapp' | 'sms' | 'web' | 'phone';

/** Who the conversation is with; at least one of email, phone and external id is set. */
export interface ContactView {
  name: string | null;
  email: string | null;
  phone: string | null;
  externalId: string | null;
}

/**
 * Where a session's handoff to Zendesk stands: never asked for, queued or being retried (`reason` says why it is
 * not done yet), done (the session has its ticket), or refused for good (`reason` says why and what to do).
 */
export interface HandoffView {
  state: 'none' | 'pending' | 'done' | 'failed';
  reason: string | null;
}

/** One line of the sessions list. */
export interface SessionLine {
  id: string;
  contact: ContactView;
  channel: SessionChannel;
  mode: 'autopilot' | 'assist' | 'handoff';
  /** How many turns the transcript holds. */
  turns: number;
  /** A rep replied in Zendesk and owns the conversation: the AI no longer answers. */
  humanActive: boolean;
  ticketId: number | null;
  handoff: HandoffView;
  /** RFC 3339. */
  updatedAt: string;
}

/**
 * Who sends handoffs to Zendesk: nobody yet (not connected), this app, another process on the same data folder
 * (`handoff serve`), or nobody because the worker failed (`reason` says why).
 */
export interface QueueView {
  state: 'idle' | 'here' | 'elsewhere' | 'failing';
  reason: string | null;
}

/** The newest sessions first, and who works their handoffs. */
export interface SessionsList {
  sessions: SessionLine[];
  queue: QueueView;
}

/** One message of a transcript. */
export interface TurnView {
  seq: number;
  role: 'customer' | 'ai' | 'agent';
  text: string;
  /** RFC 3339. */
  at: string;
}

/** A session with its transcript. */
export interface SessionDetail extends Omit<SessionLine, 'turns'> {
  turns: TurnView[];
  summary: string | null;
  sentiment: 'happy' | 'neutral' | 'negative' | null;
  /** BCP 47. */
  language: string | null;
  createdAt: string;
}

/** The sessions list for the Relay screen, newest first, with who sends their handoffs. */
export function listSessions(): Promise<SessionsList> {
  return call<SessionsList>('list_sessions');
}

/** One session with its transcript; `invalid_input` when no session has that id. */
export function getSession(id: string): Promise<SessionDetail> {
  return call<SessionDetail>('get_session', { id });
}

/**
 * Opens the session's ticket on Zendesk's agent page in the system browser. The app makes the address from the
 * ticket it recorded and opens it only on the connected account; the window never opens pages itself.
 */
export async function openTicket(sessionId: string): Promise<void> {
  await call<null>('open_ticket', { sessionId });
}

/**
 * Sandbox only: creates a session from a sample conversation (a customer on email whose order did not arrive)
 * and asks for its handoff, so a ticket appears in the sandbox account. Resolves once the handoff is queued.
 */
export function startTestConversation(): Promise<{ sessionId: string }> {
  return call<{ sessionId: string }>('start_test_conversation');
}

/** The relay's HTTP server (the sessions API and the webhook endpoint): running at `address`, stopped, or failed. */
export interface RelayStateView {
  state: 'running' | 'stopped' | 'failed';
  /** `IP:port`, while running. */
  address: string | null;
  /** Why it did not start or stopped, and what to do, when `state` is `failed`. */
  reason: string | null;
}

/** One delivery Zendesk made to the relay. */
export interface DeliveryView {
  id: number;
  /** RFC 3339. */
  receivedAt: string;
  verdict: 'accepted' | 'rejected';
  /** Why it was refused (a forged URL, a bad signature...). */
  reason: string | null;
  /** Zendesk's signature was checked (false: no signing secret was known yet). */
  signed: boolean;
  ticketId: number | null;
  /** `queued`, `done`, `failed`, `not_ours`, `unreadable`, `rejected`. */
  state: string;
  /** What became of it, in a sentence. */
  outcome: string | null;
  /** How many times Zendesk sent the same invocation again. */
  duplicates: number;
}

/** The Relay screen's top half. */
export interface RelayOverview {
  relay: RelayStateView;
  /** Where the relay listens when started, `IP:port`. */
  listenAddress: string;
  publicUrl: string;
  /** No public URL is set: it is the listen address, which only this machine can reach. */
  publicUrlIsLocal: boolean;
  /** The console starts the relay whenever the account is connected; false once the admin stopped it (kept across launches). */
  startsWithApp: boolean;
  /** Newest first. */
  deliveries: DeliveryView[];
  queue: QueueView;
}

/** The relay's state, addresses and newest deliveries. */
export function relayOverview(): Promise<RelayOverview> {
  return call<RelayOverview>('relay_overview');
}

/** Starts the relay on the listen address, and at every launch from now on; rejects with `invalid_input` when the port is taken (the message says how to change it). */
export function startRelay(): Promise<RelayStateView> {
  return call<RelayStateView>('start_relay');
}

/** Stops the relay; requests in flight finish first. It stays stopped at the next launches until `startRelay`. */
export function stopRelay(): Promise<RelayStateView> {
  return call<RelayStateView>('stop_relay');
}

/** Saves where the relay listens from its next start; resolves with the address as stored. */
export function setListenAddress(address: string): Promise<string> {
  return call<string>('set_listen_address', { address });
}

/** The signed webhook URL, redacted: its tag is a credential. */
export function webhookUrl(): Promise<string> {
  return call<string>('webhook_url');
}

/** The whole signed webhook URL, for "Reveal" only. */
export function revealWebhookUrl(): Promise<string> {
  return call<string>('reveal_webhook_url');
}

/** Puts the whole signed webhook URL on the clipboard; the app copies it, so it never reaches the window. */
export async function copyWebhookUrl(): Promise<void> {
  await call<null>('copy_webhook_url');
}

/** Puts `text` on the clipboard. */
export async function copyText(text: string): Promise<void> {
  await call<null>('copy_text', { text });
}

/** A checklist item's verdict. */
export type ItemState = 'ok' | 'warning' | 'failing' | 'unknown';

/**
 * What fixes an item. `id` is `setup` (one-click setup), `setup:webhook`, `setup:trigger`, `setup:signing-secret`,
 * `setup:double-delivery` (changes Zendesk's own triggers: asks consent), `connect`, `connect:oauth`,
 * `config:public-url`, `serve` (start the relay), `verify`, `fields`, `refresh`. `scope` is set when setup does it.
 */
export interface FixView {
  id: string;
  /** The same fix from a terminal. */
  command: string;
  scope: string | null;
  /** An Admin Center page shows what this fix repairs (the webhooks or triggers page): `openFixPage` opens it. */
  opensInZendesk: boolean;
}

export interface ChecklistItem {
  id: string;
  label: string;
  state: ItemState;
  /** One line: what was found. */
  evidence: string;
  fix: FixView | null;
}

export interface ChecklistSummary {
  ok: number;
  warning: number;
  failing: number;
  unknown: number;
  /** Zendesk could not be asked: the unknown items may be anything. */
  zendeskUnreachable: boolean;
  /** RFC 3339. */
  refreshedAt: string;
}

export interface Checklist {
  items: ChecklistItem[];
  summary: ChecklistSummary;
  /** RFC 3339. */
  refreshedAt: string;
}

/** One step of a setup run's plan. */
export interface SetupStep {
  action: string;
  summary: string;
  writesZendesk: boolean;
}

/** What a setup run streams: reading the account, the plan, then each step as it starts and ends. */
export type SetupEventView =
  | { kind: 'reading' }
  | { kind: 'planned'; steps: SetupStep[] }
  | { kind: 'step'; index: number; state: 'running' | 'done' | 'failed'; detail: string };

export interface SetupReport {
  scope: string;
  /** Whether anything was written to Zendesk. */
  changed: boolean;
  steps: SetupStep[];
  /** What each step did, in order. */
  done: string[];
}

/** Refreshes the checklist (a few Zendesk reads and the relay probe). */
export function setupChecklist(): Promise<Checklist> {
  return call<Checklist>('setup_checklist');
}

/**
 * Runs setup: `all` ("Create for me") or one item's scope (`webhook`, `trigger`, `signing-secret`, and
 * `double-delivery`, which changes Zendesk's own triggers: ask the admin first). Each event reaches `onEvent`.
 */
export function runSetup(scope: string, onEvent: (event: SetupEventView) => void): Promise<SetupReport> {
  const channel = new Channel<SetupEventView>();
  channel.onmessage = onEvent;
  return call<SetupReport>('run_setup', { scope, onEvent: channel });
}

/** A value of the manual guide; a `secret` one (the webhook URL) is redacted and copied by the app. */
export interface ManualField {
  label: string;
  value: string;
  secret: boolean;
}

export interface ManualStep {
  title: string;
  instruction: string;
  /** The Admin Center page the step starts on. */
  open: string | null;
  fields: ManualField[];
}

export interface ManualGuide {
  steps: ManualStep[];
  /** The sandbox has no Admin Center: the links lead to a real account's pages of the same name. */
  demo: boolean;
}

/** The manual setup guide for the connected account. */
export function manualSetup(): Promise<ManualGuide> {
  return call<ManualGuide>('manual_setup');
}

/** Opens an Admin Center page of the guide in the system browser (the app checks it is the account's own). */
export async function openAdminPage(url: string): Promise<void> {
  await call<null>('open_admin_page', { url });
}

/**
 * Opens the Admin Center page showing what a fix repairs (the webhooks or the triggers page of the connected
 * account). The app picks the page from the fix id and checks it; the window never names an address.
 */
export async function openFixPage(fix: string): Promise<void> {
  await call<null>('open_fix_page', { fix });
}

/** A step of the end-to-end verification, in the order they run. */
export type VerifyStepId =
  | 'credentials'
  | 'setup'
  | 'session'
  | 'handoff'
  | 'ticket'
  | 'reply'
  | 'webhook'
  | 'session_reply'
  | 'cleanup';

/**
 * One step of a verification, as it runs and once it ended: its time, what was found, and for a failure the cause,
 * the fix and the action that performs it (the checklist's fix ids).
 */
export interface VerifyStep {
  id: VerifyStepId;
  label: string;
  state: 'running' | 'passed' | 'failed' | 'skipped';
  /** What was done or found; the reply step names the rep who replied. */
  detail: string;
  /** Set once the step ended. */
  durationMs: number | null;
  cause: string | null;
  fix: string | null;
  action: FixView | null;
}

/**
 * Which relay receives Zendesk's webhook during a verification: the one running (the console's), one `hosted` for
 * the run because none listened (the admin stopped it), or the caller's.
 */
export interface RelayUseView {
  kind: 'running' | 'hosted' | 'caller';
  address: string | null;
}

/** What a verification streams: the relay it uses, each step as it starts and ends, and in manual mode the ticket to reply to. */
export type VerifyEventView =
  | { kind: 'relay'; relay: RelayUseView }
  | { kind: 'step'; step: VerifyStep }
  | { kind: 'awaitingReply'; ticketId: number };

/** A verification's result: the run just made, or the last one kept (then without wall time, relay, ticket or rep). */
export interface Verification {
  passed: boolean;
  /** RFC 3339. */
  startedAt: string;
  finishedAt: string;
  wallMs: number | null;
  steps: VerifyStep[];
  relay: RelayUseView | null;
  ticketId: number | null;
  /** The rep who replied, when the console picked one. */
  rep: UserView | null;
}

/** Who replies in Zendesk during a verification. */
export type RepChoice =
  | { kind: 'auto'; agentId: null }
  | { kind: 'agent'; agentId: string }
  | { kind: 'manual'; agentId: null };

/**
 * "Verify now": hands a verification conversation off, has a rep reply in Zendesk (or waits for the admin's own
 * reply), and follows the reply back to the session. Each step reaches `onEvent` as it starts and ends; a failed
 * step is in the result, not a rejection.
 */
export function verifyNow(rep: RepChoice, onEvent: (event: VerifyEventView) => void): Promise<Verification> {
  const channel = new Channel<VerifyEventView>();
  channel.onmessage = onEvent;
  return call<Verification>('verify_now', { rep, onEvent: channel });
}

/** The last verification kept, or `null` before the first. */
export function lastVerification(): Promise<Verification | null> {
  return call<Verification | null>('last_verification');
}

/** An agent found by ID in the connected account, with what would keep them from each job (`null`: nothing). */
export interface AgentView {
  user: UserView;
  /** Why Zendesk would not assign tickets to them, and what to do. */
  notAssignable: string | null;
  /** Why they cannot post a public reply (so cannot be the verification's rep). */
  cannotReply: string | null;
}

/** Looks an agent up by ID with the saved connection; `invalid_input` when the ID is not one or nobody has it. */
export function findAgent(agentId: string): Promise<AgentView> {
  return call<AgentView>('find_agent', { agentId });
}

/** Manual verification: opens the verification ticket on Zendesk's agent page in the system browser. */
export async function openVerificationTicket(ticketId: number): Promise<void> {
  await call<null>('open_verification_ticket', { ticketId });
}

/** Who delivers a rep's reply on a channel: the AI platform (from the relay), or Zendesk's own email. */
export type Deliverer = 'platform' | 'zendesk';

/** The Settings screen's data: every setting as the engine reads it. */
export interface SettingsView {
  tagPrefix: string;
  ticketEveryConversation: boolean;
  publicUrl: string;
  /** No public URL is set: it is the relay's own address, which only this machine can reach. */
  publicUrlIsLocal: boolean;
  /** Empty when replies are only recorded on the session. */
  outboundUrl: string;
  llmUrl: string;
  llmModel: string;
  channels: { channel: SessionChannel; delivers: Deliverer }[];
  listenAddress: string;
  defaultAgent: UserView | null;
  dataFolder: string;
  logsFolder: string;
  /** Setup made the webhook, so its signing secret can be reset. */
  webhookSetUp: boolean;
  /** How long the previous URL key still opens the webhook URL after a rotation. */
  urlKeyGraceHours: number;
}

/** The settings a screen may change by name (the listen address is changed on the Relay screen). */
export type SettingKey =
  | 'tag-prefix'
  | 'ticket-every-conversation'
  | 'public-url'
  | 'outbound-url'
  | 'llm-url'
  | 'llm-model'
  | 'zendesk-delivers';

export function getSettings(): Promise<SettingsView> {
  return call<SettingsView>('get_settings');
}

/** Saves a setting once the app has checked it; resolves with the value as stored, rejects `invalid_input` with why. */
export function setSetting(key: SettingKey, value: string): Promise<string> {
  return call<string>('set_setting', { key, value });
}

/** Sets the default agent after looking them up (empty: none); resolves with the agent now set. */
export function setDefaultAgent(agentId: string): Promise<UserView | null> {
  return call<UserView | null>('set_default_agent', { agentId });
}

/** What a URL-key rotation did. `url` is redacted. */
export interface UrlKeyRotation {
  keyId: string;
  url: string;
  /** RFC 3339: until then the previous URL still opens. */
  previousValidUntil: string;
  /** What became of our webhook in Zendesk. */
  webhook: 'moved' | 'not_set_up' | 'gone' | 'failed';
  reason: string | null;
}

export function rotateUrlKey(): Promise<UrlKeyRotation> {
  return call<UrlKeyRotation>('rotate_url_key');
}

export function resetSigningSecret(): Promise<{ webhookId: string }> {
  return call<{ webhookId: string }>('reset_signing_secret');
}

/** Opens the data, logs or diagnostics folder in the system's file manager. */
export async function openFolder(folder: 'data' | 'logs' | 'diagnostics'): Promise<void> {
  await call<null>('open_folder', { folder });
}

/** What Disconnect will delete (in Zendesk: only what setup made) and what stays. */
export interface DisconnectPlan {
  account: string;
  authMethod: AuthMethod;
  trigger: string | null;
  webhook: string | null;
  revokeToken: boolean;
  /** The keychain entries wiped, by name. */
  keychain: string[];
  kept: string[];
}

export interface DisconnectStep {
  id: 'delete_trigger' | 'delete_webhook' | 'revoke_token' | 'wipe_keychain' | 'forget_connection' | 'forget_data';
  state: 'running' | 'done' | 'warning' | 'skipped' | 'failed';
  detail: string;
}

export function disconnectPlan(): Promise<DisconnectPlan> {
  return call<DisconnectPlan>('disconnect_plan');
}

/** Disconnects as planned, each step reaching `onStep` as it starts and ends. */
export function disconnect(onStep: (step: DisconnectStep) => void): Promise<{ steps: DisconnectStep[] }> {
  const channel = new Channel<DisconnectStep>();
  channel.onmessage = onStep;
  return call<{ steps: DisconnectStep[] }>('disconnect', { onStep: channel });
}

/** A documented symptom: its stable id (`replies-not-reaching`, ...) and how an admin describes it. */
export interface SymptomView {
  id: string;
  title: string;
}

/** What one probe looked at and saw; `unknown` when it could not look. */
export interface ProbeView {
  name: string;
  outcome: 'ok' | 'problem' | 'unknown';
  evidence: string;
}

/**
 * What performs a finding's fix: `repair` (a setup fix, run with its scope), `open-in-zendesk` (an Admin Center page
 * of the account, opened by the app after it checks it), `verify`, `reconnect`, or `none` (a step outside the
 * product: the fix says which).
 */
export interface FindingAction {
  kind: 'repair' | 'open-in-zendesk' | 'verify' | 'reconnect' | 'none';
  fix: FixView | null;
  url: string | null;
  /** The same from a terminal, when one does it. */
  command: string | null;
}

/** One symptom looked into: each probe, then the first problem's cause, fix and action (`null` when none). */
export interface Finding {
  symptom: SymptomView;
  found: boolean;
  probes: ProbeView[];
  cause: string | null;
  fix: string | null;
  action: FindingAction | null;
  /** RFC 3339: when the account was read. */
  lookedAt: string;
}

/** A diagnostics bundle the app wrote into the data folder's `diagnostics` folder. */
export interface BundleView {
  path: string;
  files: string[];
  bytes: number;
}

export function troubleshootSymptoms(): Promise<SymptomView[]> {
  return call<SymptomView[]>('troubleshoot_symptoms');
}

/** Runs one symptom's probes against the account and the data folder; nothing is written to Zendesk. */
export function diagnoseSymptom(symptom: string): Promise<Finding> {
  return call<Finding>('diagnose_symptom', { symptom });
}

/** Writes the redacted diagnostics bundle (a zip) into the data folder's `diagnostics` folder. */
export function saveDiagnosticsBundle(): Promise<BundleView> {
  return call<BundleView>('save_diagnostics_bundle');
}

/** What the status bar shows besides the account. */
export interface StatusBarView {
  relay: RelayStateView;
  queue: QueueView;
  /** The last checklist's counts; `null` before the first refresh. */
  checklist: ChecklistSummary | null;
}

export function statusBar(): Promise<StatusBarView> {
  return call<StatusBarView>('status_bar');
}

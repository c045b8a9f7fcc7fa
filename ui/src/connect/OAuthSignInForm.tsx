import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { Dots, Spinner } from '@zendeskgarden/react-loaders';
import {
  cancelSignIn,
  CommandError,
  getConnection,
  signInWithZendesk,
  type CheckEvent,
  type ConnectionView,
} from '../api';
import { CheckList, upsertCheck } from './CheckList';
import { toOAuthForm, validateOAuthFields, type OAuthFields } from './fields';
import type { ConnectPrefill } from './prefill';
import { Actions, Form, Optional } from './TokenForm';
import { useNormalizedSubdomain } from './useNormalizedSubdomain';
import { VerifyOutcome, type Outcome } from './VerifyOutcome';

/**
 * The OAuth tab: subdomain, the OAuth client's identifier (and secret for a confidential client), the optional
 * Default Agent and base URL, and "Sign in with Zendesk". While the browser is open it says so, with Cancel; then
 * the same checks as "Verify & Save" appear as they run. Calls `onConnected` once the connection is saved.
 */
export function OAuthSignInForm({
  prefill,
  onConnected,
}: {
  prefill: ConnectPrefill;
  onConnected: (connection: ConnectionView) => void;
}) {
  const [fields, setFields] = useState<OAuthFields>({
    subdomain: prefill.subdomain,
    clientId: prefill.clientId,
    clientSecret: '',
    defaultAgentId: prefill.defaultAgentId,
    baseUrl: prefill.baseUrl,
  });
  const [touched, setTouched] = useState<Partial<Record<keyof OAuthFields, boolean>>>({});
  const [submitAttempted, setSubmitAttempted] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(prefill.baseUrl !== '');
  const [running, setRunning] = useState(false);
  const [cancelling, setCancelling] = useState(false);
  const [checks, setChecks] = useState<CheckEvent[]>([]);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'none' });
  const advancedId = useId();
  const normalized = useNormalizedSubdomain(fields.subdomain);

  const errors = validateOAuthFields(fields);
  const shownError = (name: keyof OAuthFields): string | undefined =>
    submitAttempted || (touched[name] === true && fields[name] !== '') ? errors[name] : undefined;
  const update = (name: keyof OAuthFields) => (event: { target: { value: string } }) => {
    setFields((previous) => ({ ...previous, [name]: event.target.value }));
  };
  const leave = (name: keyof OAuthFields) => () => {
    setTouched((previous) => ({ ...previous, [name]: true }));
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempted(true);
    if (running || Object.keys(validateOAuthFields(fields)).length > 0) {
      return;
    }
    setRunning(true);
    setCancelling(false);
    setChecks([]);
    setOutcome({ state: 'none' });
    try {
      const report = await signInWithZendesk(toOAuthForm(fields), (check) => {
        setChecks((previous) => upsertCheck(previous, check));
      });
      setChecks(report.checks);
      const connection = report.saved ? (report.connection ?? (await getConnection())) : null;
      setRunning(false);
      if (connection !== null) {
        onConnected(connection);
      } else if (report.saved) {
        setOutcome({
          state: 'failed',
          error: new CommandError('internal', 'The connection was saved but could not be read back. Restart the app.'),
        });
      } else {
        setOutcome({ state: 'not_saved' });
      }
    } catch (raw) {
      setRunning(false);
      setOutcome({ state: 'failed', error: CommandError.from(raw) });
    }
  }

  function cancel() {
    setCancelling(true);
    // The pending sign-in answers with its cancelled check; a failure to cancel shows as the run's own outcome.
    cancelSignIn().catch((raw: unknown) => {
      setCancelling(false);
      setOutcome({ state: 'failed', error: CommandError.from(raw) });
    });
  }

  const waitingForBrowser = running && checks.some((check) => check.id === 'authorization' && check.status === 'running');
  // The form is taller than the window: the admin must see that the console waits for the browser, and the Cancel.
  const waitingRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (waitingForBrowser) {
      waitingRef.current?.scrollIntoView({ block: 'nearest' });
    }
  }, [waitingForBrowser]);
  const subdomainError = shownError('subdomain') ?? (normalized.state === 'invalid' ? normalized.message : undefined);

  return (
    <>
      <Form noValidate onSubmit={(event) => void submit(event)} aria-busy={running}>
        <Field>
          <Field.Label>Subdomain</Field.Label>
          <Field.Hint>Your account name, for example acme, acme.zendesk.com or its full URL.</Field.Hint>
          <Input
            data-testid="connect-oauth-subdomain"
            // The form opens because the admin chose to connect: typing can start at once.
            autoFocus
            value={fields.subdomain}
            onChange={update('subdomain')}
            onBlur={leave('subdomain')}
            validation={subdomainError === undefined ? undefined : 'error'}
            autoComplete="off"
            spellCheck={false}
          />
          {subdomainError !== undefined ? (
            <Field.Message validation="error">{subdomainError}</Field.Message>
          ) : (
            normalized.state === 'host' && (
              <Field.Message validation="success" role="status">
                Account: <span data-testid="connect-oauth-subdomain-normalized">{normalized.host}</span>
              </Field.Message>
            )
          )}
        </Field>
        <Field>
          <Field.Label>OAuth client identifier</Field.Label>
          <Field.Hint>
            In Admin Center &gt; Apps and integrations &gt; APIs &gt; OAuth clients, add a client for the console and copy
            its Identifier. Redirect URL: http://127.0.0.1/oauth/callback.
          </Field.Hint>
          <Input
            data-testid="connect-oauth-client-id"
            value={fields.clientId}
            onChange={update('clientId')}
            onBlur={leave('clientId')}
            validation={shownError('clientId') === undefined ? undefined : 'error'}
            autoComplete="off"
            spellCheck={false}
          />
          {shownError('clientId') !== undefined && (
            <Field.Message validation="error">{shownError('clientId')}</Field.Message>
          )}
        </Field>
        <Field>
          <Field.Label>
            Client secret <Optional>(confidential clients only)</Optional>
          </Field.Label>
          <Field.Hint>Leave empty for a public client: the console signs in with PKCE and keeps no secret.</Field.Hint>
          <Input
            data-testid="connect-oauth-client-secret"
            type="password"
            value={fields.clientSecret}
            onChange={update('clientSecret')}
            autoComplete="off"
          />
        </Field>
        <Field>
          <Field.Label>
            Default Agent ID <Optional>(optional)</Optional>
          </Field.Label>
          <Field.Hint>New handoff tickets are assigned to this agent. Checked once you have signed in.</Field.Hint>
          <Input
            data-testid="connect-oauth-default-agent"
            inputMode="numeric"
            value={fields.defaultAgentId}
            onChange={update('defaultAgentId')}
            onBlur={leave('defaultAgentId')}
            validation={shownError('defaultAgentId') === undefined ? undefined : 'error'}
            autoComplete="off"
          />
          {shownError('defaultAgentId') !== undefined && (
            <Field.Message validation="error">{shownError('defaultAgentId')}</Field.Message>
          )}
        </Field>
        <div>
          <Button
            isLink
            data-testid="connect-oauth-advanced"
            aria-expanded={advancedOpen}
            aria-controls={advancedId}
            onClick={() => {
              setAdvancedOpen((open) => !open);
            }}
          >
            {advancedOpen ? '\u25BE' : '\u25B8'} Advanced
          </Button>
        </div>
        <div id={advancedId} hidden={!advancedOpen}>
          <Field>
            <Field.Label>
              Zendesk base URL (simulator or proxy) <Optional>(optional)</Optional>
            </Field.Label>
            <Field.Hint>Leave empty to talk to Zendesk itself.</Field.Hint>
            <Input
              data-testid="connect-oauth-base-url"
              value={fields.baseUrl}
              onChange={update('baseUrl')}
              onBlur={leave('baseUrl')}
              validation={shownError('baseUrl') === undefined ? undefined : 'error'}
              placeholder="http://127.0.0.1:8080"
              autoComplete="off"
              spellCheck={false}
            />
            {shownError('baseUrl') !== undefined && (
              <Field.Message validation="error">{shownError('baseUrl')}</Field.Message>
            )}
          </Field>
        </div>
        <Actions>
          <Button isPrimary type="submit" data-testid="connect-oauth-submit" aria-disabled={running}>
            {running ? (
              <>
                Signing in&nbsp;
                <Dots delayMS={0} aria-hidden="true" />
              </>
            ) : (
              'Sign in with Zendesk'
            )}
          </Button>
        </Actions>
      </Form>
      {waitingForBrowser && (
        <Waiting data-testid="connect-oauth-waiting" role="status" ref={waitingRef}>
          <Spinner size="20px" delayMS={0} aria-hidden="true" />
          <span>Waiting for you to approve in the browser…</span>
          <Button
            size="small"
            data-testid="connect-oauth-cancel"
            onClick={cancel}
            aria-disabled={cancelling}
          >
            {cancelling ? 'Cancelling' : 'Cancel'}
          </Button>
        </Waiting>
      )}
      {checks.length > 0 && <CheckList checks={checks} finished={!running} />}
      <VerifyOutcome outcome={outcome} />
    </>
  );
}

const Waiting = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-top: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.sm} ${({ theme }) => theme.space.md};
  max-width: 480px;
`;

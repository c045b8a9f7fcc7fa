import { useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Spinner } from '@zendeskgarden/react-loaders';
import { cancelSignIn, signInWithZendesk, type CheckEvent } from '../api';
import { useCheckRun } from './checkRun';
import { toOAuthForm, validateOAuthFields } from './fields';
import { RedirectUrl } from './RedirectUrl';
import { useFormFields } from './formFields';
import { ConnectFormShell, type ConnectTabProps, Optional, RunReport, TextField } from './FormParts';

/**
 * The OAuth tab: subdomain, the redirect URL to register in the OAuth client (with Copy and Change port), the OAuth
 * client's identifier (and secret for a confidential client), the optional Default Agent and base URL, and "Sign in
 * with Zendesk". While the browser is open it says so, with Cancel; then
 * the same checks as "Verify & Save" appear as they run. Calls `onConnected` once the connection is saved.
 */
export function OAuthSignInForm({ prefill, onConnected }: ConnectTabProps) {
  const form = useFormFields(
    {
      subdomain: prefill.subdomain,
      clientId: prefill.clientId,
      clientSecret: '',
      defaultAgentId: prefill.defaultAgentId,
      baseUrl: prefill.baseUrl,
    },
    validateOAuthFields,
  );
  const run = useCheckRun(onConnected);
  const [cancelling, setCancelling] = useState(false);

  function signIn() {
    setCancelling(false);
    void run.start((onCheck) => signInWithZendesk(toOAuthForm(form.fields), onCheck));
  }

  function cancel() {
    setCancelling(true);
    // The pending sign-in answers with its cancelled check; a failure to cancel shows as the run's own outcome.
    cancelSignIn().catch((raw: unknown) => {
      setCancelling(false);
      run.fail(raw);
    });
  }

  // "Port in use": the fix is the port field above, opened from here, rather than the CLI command the app names.
  const [portRequest, setPortRequest] = useState(0);
  const portFix = (check: CheckEvent) =>
    check.redirectPortTaken === null ? null : (
      <>
        Close the program that listens on 127.0.0.1:{check.redirectPortTaken}, or{' '}
        <Button
          isLink
          data-testid="connect-oauth-port-taken-change"
          onClick={() => {
            setPortRequest((count) => count + 1);
          }}
        >
          choose another port
        </Button>{' '}
        for the redirect URL above, register the new URL in your OAuth client, and sign in again.
      </>
    );

  const waitingForBrowser =
    run.running && run.checks.some((check) => check.id === 'authorization' && check.status === 'running');
  // The form is taller than the window: the admin must see that the console waits for the browser, and the Cancel.
  const waitingRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (waitingForBrowser) {
      waitingRef.current?.scrollIntoView({ block: 'nearest' });
    }
  }, [waitingForBrowser]);

  return (
    <>
      <ConnectFormShell
        testIdPrefix="connect-oauth"
        form={form}
        running={run.running}
        onSubmit={signIn}
        // The form opens because the admin chose to connect: typing can start at once.
        autoFocusSubdomain
        agentHint="New handoff tickets are assigned to this agent. Checked once you have signed in."
        submitLabel="Sign in with Zendesk"
        busyLabel="Signing in"
      >
        <RedirectUrl locked={run.running} editRequest={portRequest} />
        <TextField
          label="OAuth client identifier"
          hint={
            <>
              In Admin Center &gt; Apps and integrations &gt; APIs &gt; OAuth clients, add a client for the console with
              the redirect URL above, then copy its Identifier.
            </>
          }
          data-testid="connect-oauth-client-id"
          {...form.bind('clientId')}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label={
            <>
              Client secret <Optional>(confidential clients only)</Optional>
            </>
          }
          hint="Leave empty for a public client: the console signs in with PKCE and keeps no secret."
          data-testid="connect-oauth-client-secret"
          type="password"
          value={form.fields.clientSecret}
          onChange={form.update('clientSecret')}
          autoComplete="off"
        />
      </ConnectFormShell>
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
      <RunReport run={run} fixFor={portFix} />
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

import { useMemo } from 'react';
import { Alert } from '@zendeskgarden/react-notifications';
import { Field } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import { lookupAgent, verifyAndSave, type ConnectForm, type UserView } from '../api';
import { type Lookup, useDebouncedLookup } from '../shell/agentLookup';
import { useCheckRun } from './checkRun';
import { API_TOKEN_DEADLINE } from './deadline';
import { agentLookupForm, toConnectForm, validateFields } from './fields';
import { useFormFields } from './formFields';
import { ConnectFormShell, type ConnectTabProps, RunReport, TextField } from './FormParts';

/** Looks up the form's Default Agent with the form's own credentials, before anything is saved. */
function lookupDefaultAgent(form: ConnectForm): Promise<UserView> {
  return lookupAgent(form, form.defaultAgentId ?? '');
}

/**
 * The legacy API-token form: live subdomain normalization and Default Agent lookup, and "Verify & Save" with each
 * check shown as it runs. Calls `onConnected` once a connection is saved.
 */
export function TokenForm({ prefill, onConnected }: ConnectTabProps) {
  const form = useFormFields(
    {
      subdomain: prefill.subdomain,
      email: '',
      token: '',
      defaultAgentId: prefill.defaultAgentId,
      baseUrl: prefill.baseUrl,
    },
    validateFields,
  );
  const run = useCheckRun(onConnected);

  const { subdomain, email, token, defaultAgentId, baseUrl } = form.fields;
  const lookupForm = useMemo(
    () => agentLookupForm({ subdomain, email, token, defaultAgentId, baseUrl }),
    [subdomain, email, token, defaultAgentId, baseUrl],
  );
  const agentLookup = useDebouncedLookup(lookupForm, lookupDefaultAgent);

  return (
    <>
      <Alert type="warning" role="note">
        <Alert.Title>API tokens stop working on {API_TOKEN_DEADLINE}</Alert.Title>
        <Alert.Paragraph>
          Zendesk no longer lets accounts create API tokens, and every existing token stops working on that day. Sign in
          with OAuth instead, on the first tab.
        </Alert.Paragraph>
      </Alert>
      <ConnectFormShell
        testIdPrefix="connect"
        form={form}
        running={run.running}
        onSubmit={() => void run.start((onCheck) => verifyAndSave(toConnectForm(form.fields), onCheck))}
        agentHint="New handoff tickets are assigned to this agent."
        agentBelow={<AgentLookupMessage lookup={agentLookup} />}
        submitLabel="Verify & Save"
        busyLabel="Verifying"
      >
        <TextField
          label="Admin email"
          data-testid="connect-email"
          type="email"
          {...form.bind('email')}
          autoComplete="username"
          spellCheck={false}
        />
        <TextField
          label="API token"
          data-testid="connect-token"
          type="password"
          {...form.bind('token')}
          autoComplete="off"
        />
      </ConnectFormShell>
      <RunReport run={run} />
    </>
  );
}

/** The Default Agent lookup's answer: "Ana Agent (agent)", or why there is none. */
function AgentLookupMessage({ lookup }: { lookup: Lookup<UserView> }) {
  switch (lookup.state) {
    case 'none':
      return null;
    case 'looking':
      return (
        <Field.Message role="status">
          Looking up the agent <Dots delayMS={0} />
        </Field.Message>
      );
    case 'found':
      return (
        <Field.Message validation="success" role="status">
          <span data-testid="connect-default-agent-name">
            {lookup.agent.name} ({lookup.agent.role})
          </span>
        </Field.Message>
      );
    case 'failed':
      return (
        <Field.Message validation="error">
          <span data-testid="connect-default-agent-name">{lookup.message}</span>
        </Field.Message>
      );
  }
}

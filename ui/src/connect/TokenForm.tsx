import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import styled from 'styled-components';
import { Alert } from '@zendeskgarden/react-notifications';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import {
  CommandError,
  getConnection,
  lookupAgent,
  verifyAndSave,
  type CheckEvent,
  type ConnectionView,
  type UserView,
} from '../api';
import { CheckList, upsertCheck } from './CheckList';
import { API_TOKEN_DEADLINE } from './deadline';
import { agentLookupForm, toConnectForm, validateFields, type ConnectFields } from './fields';
import type { ConnectPrefill } from './prefill';
import { useNormalizedSubdomain } from './useNormalizedSubdomain';
import { VerifyOutcome, type Outcome } from './VerifyOutcome';

/** How long typing must pause before the Default Agent is looked up: each lookup is a Zendesk API call. */
export const AGENT_LOOKUP_DEBOUNCE_MS = 400;

type AgentLookup =
  | { state: 'none' }
  | { state: 'looking' }
  | { state: 'found'; agent: UserView }
  | { state: 'failed'; message: string };

/**
 * The legacy API-token form: live subdomain normalization and Default Agent lookup, and "Verify & Save" with each
 * check shown as it runs. Calls `onConnected` once a connection is saved.
 */
export function TokenForm({
  prefill,
  onConnected,
}: {
  prefill: ConnectPrefill;
  onConnected: (connection: ConnectionView) => void;
}) {
  const [fields, setFields] = useState<ConnectFields>({
    subdomain: prefill.subdomain,
    email: '',
    token: '',
    defaultAgentId: prefill.defaultAgentId,
    baseUrl: prefill.baseUrl,
  });
  const [touched, setTouched] = useState<Partial<Record<keyof ConnectFields, boolean>>>({});
  const [submitAttempted, setSubmitAttempted] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(prefill.baseUrl !== '');
  const [agentLookup, setAgentLookup] = useState<AgentLookup>({ state: 'none' });
  const [running, setRunning] = useState(false);
  const [checks, setChecks] = useState<CheckEvent[]>([]);
  const [outcome, setOutcome] = useState<Outcome>({ state: 'none' });
  const advancedId = useId();
  const normalized = useNormalizedSubdomain(fields.subdomain);

  const errors = validateFields(fields);
  // A message shows once the admin has left the field with something in it, or has tried to submit.
  const shownError = (name: keyof ConnectFields): string | undefined =>
    submitAttempted || (touched[name] === true && fields[name] !== '') ? errors[name] : undefined;

  const { subdomain, email, token, defaultAgentId, baseUrl } = fields;
  const lookupForm = useMemo(
    () => agentLookupForm({ subdomain, email, token, defaultAgentId, baseUrl }),
    [subdomain, email, token, defaultAgentId, baseUrl],
  );
  useEffect(() => {
    if (lookupForm === null || lookupForm.defaultAgentId === null) {
      setAgentLookup({ state: 'none' });
      return;
    }
    const agentId = lookupForm.defaultAgentId;
    let current = true;
    setAgentLookup({ state: 'looking' });
    const timer = setTimeout(() => {
      lookupAgent(lookupForm, agentId).then(
        (agent) => {
          if (current) setAgentLookup({ state: 'found', agent });
        },
        (raw: unknown) => {
          if (current) setAgentLookup({ state: 'failed', message: CommandError.from(raw).message });
        },
      );
    }, AGENT_LOOKUP_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [lookupForm]);

  const update = (name: keyof ConnectFields) => (event: { target: { value: string } }) => {
    setFields((previous) => ({ ...previous, [name]: event.target.value }));
  };
  const leave = (name: keyof ConnectFields) => () => {
    setTouched((previous) => ({ ...previous, [name]: true }));
  };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSubmitAttempted(true);
    if (running || Object.keys(validateFields(fields)).length > 0) {
      return;
    }
    setRunning(true);
    setChecks([]);
    setOutcome({ state: 'none' });
    try {
      const report = await verifyAndSave(toConnectForm(fields), (check) => {
        setChecks((previous) => upsertCheck(previous, check));
      });
      // The report's list is the final word: it holds every check even if an event was missed.
      setChecks(report.checks);
      // A save that did not send the connection back is read back rather than assumed.
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

  const subdomainError = shownError('subdomain') ?? (normalized.state === 'invalid' ? normalized.message : undefined);
  const agentIdError = shownError('defaultAgentId');

  return (
    <>
      <Alert type="warning" role="note">
        <Alert.Title>API tokens stop working on {API_TOKEN_DEADLINE}</Alert.Title>
        <Alert.Paragraph>
          Zendesk no longer lets accounts create API tokens, and every existing token stops working on that day. Sign in
          with OAuth instead, on the first tab.
        </Alert.Paragraph>
      </Alert>
      <Form noValidate onSubmit={(event) => void submit(event)} aria-busy={running}>
        <Field>
          <Field.Label>Subdomain</Field.Label>
          <Field.Hint>Your account name, for example acme, acme.zendesk.com or its full URL.</Field.Hint>
          <Input
            data-testid="connect-subdomain"
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
                Account: <span data-testid="connect-subdomain-normalized">{normalized.host}</span>
              </Field.Message>
            )
          )}
        </Field>
        <Field>
          <Field.Label>Admin email</Field.Label>
          <Input
            data-testid="connect-email"
            type="email"
            value={fields.email}
            onChange={update('email')}
            onBlur={leave('email')}
            validation={shownError('email') === undefined ? undefined : 'error'}
            autoComplete="username"
            spellCheck={false}
          />
          {shownError('email') !== undefined && <Field.Message validation="error">{shownError('email')}</Field.Message>}
        </Field>
        <Field>
          <Field.Label>API token</Field.Label>
          <Input
            data-testid="connect-token"
            type="password"
            value={fields.token}
            onChange={update('token')}
            onBlur={leave('token')}
            validation={shownError('token') === undefined ? undefined : 'error'}
            autoComplete="off"
          />
          {shownError('token') !== undefined && <Field.Message validation="error">{shownError('token')}</Field.Message>}
        </Field>
        <Field>
          <Field.Label>
            Default Agent ID <Optional>(optional)</Optional>
          </Field.Label>
          <Field.Hint>New handoff tickets are assigned to this agent.</Field.Hint>
          <Input
            data-testid="connect-default-agent"
            inputMode="numeric"
            value={fields.defaultAgentId}
            onChange={update('defaultAgentId')}
            onBlur={leave('defaultAgentId')}
            validation={agentIdError === undefined ? undefined : 'error'}
            autoComplete="off"
          />
          {agentIdError !== undefined ? (
            <Field.Message validation="error">{agentIdError}</Field.Message>
          ) : (
            <AgentLookupMessage lookup={agentLookup} />
          )}
        </Field>
        <div>
          <Button
            isLink
            data-testid="connect-advanced"
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
              data-testid="connect-base-url"
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
          <Button isPrimary type="submit" data-testid="connect-submit" aria-disabled={running}>
            {running ? (
              <>
                Verifying&nbsp;
                <Dots delayMS={0} aria-hidden="true" />
              </>
            ) : (
              'Verify & Save'
            )}
          </Button>
        </Actions>
      </Form>
      {checks.length > 0 && <CheckList checks={checks} finished={!running} />}
      <VerifyOutcome outcome={outcome} />
    </>
  );
}

/** The Default Agent lookup's answer: "Ana Agent (agent)", or why there is none. */
function AgentLookupMessage({ lookup }: { lookup: AgentLookup }) {
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

export const Form = styled.form`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.md};
  margin-top: ${({ theme }) => theme.space.md};
  max-width: 480px;
`;

export const Actions = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-top: ${({ theme }) => theme.space.sm};
`;

export const Optional = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.regular};
`;

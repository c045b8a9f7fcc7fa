import { useState, type ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { MD } from '@zendeskgarden/react-typography';
import { CommandError, disconnect, disconnectPlan, type DisconnectPlan, type DisconnectStep } from '../api';
import { StatusMark } from '../shell/StatusMark';

type Stage =
  | { stage: 'idle' }
  | { stage: 'planning' }
  | { stage: 'confirm'; plan: DisconnectPlan }
  | { stage: 'running'; plan: DisconnectPlan; steps: DisconnectStep[] }
  | { stage: 'failed'; plan: DisconnectPlan; steps: DisconnectStep[]; error: CommandError }
  | { stage: 'plan-failed'; error: CommandError };

const STEP_LABELS: Record<DisconnectStep['id'], string> = {
  delete_trigger: 'Delete our trigger in Zendesk',
  delete_webhook: 'Delete our webhook in Zendesk',
  revoke_token: 'Revoke our OAuth token',
  wipe_keychain: 'Wipe the keychain entries',
  forget_connection: 'Forget the connection',
  forget_data: 'Forget the conversations',
};

/** What a finished disconnect leaves to say on the Connect screen: from where, and each step as it ended. */
export interface Disconnected {
  account: string;
  steps: DisconnectStep[];
}

/**
 * Disconnect: first the plan (what goes in Zendesk and here, what stays; read locally, nothing changed), then, once
 * the admin confirms, each step as it runs. `onDisconnected` runs once the connection is gone, with what to say.
 */
export function Disconnect({ onDisconnected }: { onDisconnected: (done: Disconnected) => void }) {
  const [state, setState] = useState<Stage>({ stage: 'idle' });

  async function plan() {
    setState({ stage: 'planning' });
    try {
      setState({ stage: 'confirm', plan: await disconnectPlan() });
    } catch (raw) {
      setState({ stage: 'plan-failed', error: CommandError.from(raw) });
    }
  }

  async function run(planned: DisconnectPlan) {
    let steps: DisconnectStep[] = [];
    setState({ stage: 'running', plan: planned, steps });
    try {
      const report = await disconnect((step) => {
        const index = steps.findIndex((known) => known.id === step.id);
        steps = index === -1 ? [...steps, step] : steps.map((known, at) => (at === index ? step : known));
        setState({ stage: 'running', plan: planned, steps });
      });
      onDisconnected({ account: planned.account, steps: report.steps });
    } catch (raw) {
      setState({ stage: 'failed', plan: planned, steps, error: CommandError.from(raw) });
    }
  }

  switch (state.stage) {
    case 'idle':
    case 'planning':
    case 'plan-failed':
      return (
        <>
          <Button
            isDanger
            data-testid="settings-disconnect"
            aria-disabled={state.stage === 'planning'}
            onClick={() => void plan()}
          >
            Disconnect…
          </Button>
          {state.stage === 'plan-failed' && (
            <Notice type="error" role="alert" data-testid="settings-disconnect-error">
              <Alert.Title>What a disconnect would delete could not be read</Alert.Title>
              <Alert.Paragraph>{state.error.message}</Alert.Paragraph>
            </Notice>
          )}
        </>
      );
    case 'confirm':
      return (
        <Plan plan={state.plan}>
          <Buttons>
            <Button
              isPrimary
              isDanger
              data-testid="settings-disconnect-confirm"
              onClick={() => void run(state.plan)}
            >
              Disconnect from {state.plan.account}
            </Button>
            <Button
              isBasic
              data-testid="settings-disconnect-cancel"
              onClick={() => {
                setState({ stage: 'idle' });
              }}
            >
              Cancel
            </Button>
          </Buttons>
        </Plan>
      );
    case 'running':
    case 'failed':
      return (
        <Panel data-testid="settings-disconnect-run" aria-live="polite">
          <MD isBold>{state.stage === 'running' ? `Disconnecting from ${state.plan.account}` : 'Disconnect stopped'}</MD>
          <Steps>
            {state.steps.map((step) => (
              <li key={step.id} data-testid="settings-disconnect-step" data-state={step.state}>
                {step.state === 'running' && state.stage === 'running' ? (
                  <Spinner size="20px" delayMS={0} aria-hidden="true" />
                ) : (
                  <StatusMark
                    state={
                      step.state === 'done'
                        ? 'ok'
                        : step.state === 'warning'
                          ? 'warning'
                          : step.state === 'failed'
                            ? 'failing'
                            : 'unknown'
                    }
                  />
                )}
                <span>
                  <strong>{STEP_LABELS[step.id]}</strong>: {step.detail}
                </span>
              </li>
            ))}
          </Steps>
          {state.stage === 'failed' && (
            <Notice type="error" role="alert" data-testid="settings-disconnect-error">
              <Alert.Title>The disconnect did not finish</Alert.Title>
              <Alert.Paragraph>
                {state.error.message} What is marked done is done; disconnecting again finishes the rest.
              </Alert.Paragraph>
              <Button size="small" data-testid="settings-disconnect-retry" onClick={() => void plan()}>
                Disconnect again…
              </Button>
            </Notice>
          )}
        </Panel>
      );
  }
}

/** The plan as the admin reads it before confirming. */
function Plan({ plan, children }: { plan: DisconnectPlan; children: ReactNode }) {
  const zendesk: string[] = [];
  if (plan.trigger !== null) zendesk.push(`Delete the trigger setup made (#${plan.trigger}).`);
  if (plan.webhook !== null) zendesk.push(`Delete the webhook setup made (${plan.webhook}).`);
  if (plan.revokeToken) zendesk.push('Revoke the console\u2019s OAuth token.');
  if (plan.authMethod === 'api_token')
    zendesk.push('The API token cannot be revoked from here: delete it in Admin Center > Apps and integrations > APIs.');
  if (zendesk.length === 0) zendesk.push('Nothing: setup made no webhook or trigger.');
  return (
    <Panel data-testid="settings-disconnect-plan" role="group" aria-labelledby="disconnect-plan-title">
      <MD isBold id="disconnect-plan-title">
        Disconnect from {plan.account}?
      </MD>
      <Section>In Zendesk</Section>
      <ul data-testid="settings-disconnect-zendesk">
        {zendesk.map((line) => (
          <li key={line}>{line}</li>
        ))}
      </ul>
      <Section>On this computer</Section>
      <ul data-testid="settings-disconnect-local">
        <li>Remove these keychain entries: {plan.keychain.join(', ')}.</li>
        <li>Forget the connection; the console returns to the Connect screen.</li>
      </ul>
      <Section>What stays</Section>
      <ul data-testid="settings-disconnect-kept">
        {plan.kept.map((line) => (
          <li key={line}>{capitalized(line)}.</li>
        ))}
      </ul>
      {children}
    </Panel>
  );
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

const Panel = styled.div`
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.dangerEmphasis' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};

  ul {
    margin: ${({ theme }) => theme.space.xxs} 0 ${({ theme }) => theme.space.sm};
    padding-left: ${({ theme }) => theme.space.lg};
  }
`;

const Section = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Buttons = styled.div`
  display: flex;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Steps = styled.ol`
  list-style: none;
  margin: ${({ theme }) => theme.space.xs} 0 0;
  padding: 0;

  li {
    display: flex;
    align-items: flex-start;
    gap: ${({ theme }) => theme.space.xs};
    padding: ${({ theme }) => theme.space.xxs} 0;
    overflow-wrap: anywhere;
  }
`;

const Notice = styled(Alert)`
  margin-top: ${({ theme }) => theme.space.sm};
`;

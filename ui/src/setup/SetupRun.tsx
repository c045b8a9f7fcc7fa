import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { MD } from '@zendeskgarden/react-typography';
import type { CommandError, SetupEventView, SetupStep } from '../api';
import { StatusMark } from '../shell/StatusMark';

/** A setup run as the screen shows it, built from the streamed events. */
export interface RunProgress {
  scope: string;
  reading: boolean;
  steps: { step: SetupStep; state: 'planned' | 'running' | 'done' | 'failed'; detail: string | null }[];
  planned: boolean;
  finished: 'no' | 'done' | 'failed';
  error: CommandError | null;
}

export function startProgress(scope: string): RunProgress {
  return { scope, reading: false, steps: [], planned: false, finished: 'no', error: null };
}

/** Folds one streamed event into the progress. */
export function applyEvent(progress: RunProgress, event: SetupEventView): RunProgress {
  switch (event.kind) {
    case 'reading':
      return { ...progress, reading: true };
    case 'planned':
      return {
        ...progress,
        reading: false,
        planned: true,
        steps: event.steps.map((step) => ({ step, state: 'planned', detail: null })),
      };
    case 'step':
      return {
        ...progress,
        steps: progress.steps.map((entry, index) =>
          index === event.index ? { ...entry, state: event.state, detail: event.detail } : entry,
        ),
      };
  }
}

const TITLES: Record<string, string> = {
  all: 'Creating the webhook and the trigger',
  webhook: 'Repairing the webhook',
  trigger: 'Repairing the trigger',
  'signing-secret': 'Fetching the signing secret',
  'double-delivery': "Guarding Zendesk's notifying triggers",
};

/** Each step of a run as it happens: reading Zendesk, then the plan with each step's spinner, tick or cross. */
export function SetupRun({ progress }: { progress: RunProgress }) {
  const title = TITLES[progress.scope] ?? 'Running setup';
  return (
    <Panel data-testid="setup-run" data-finished={progress.finished} aria-live="polite">
      <MD isBold>
        {progress.finished === 'done'
          ? progress.steps.length === 0
            ? 'Nothing to do: everything setup makes is as it must be'
            : 'Done'
          : progress.finished === 'failed'
            ? 'Setup stopped'
            : title}
      </MD>
      {!progress.planned && progress.finished === 'no' && (
        <Line>
          <Spinner size="18px" delayMS={0} aria-hidden="true" />
          Reading the webhook and the trigger in Zendesk
        </Line>
      )}
      {progress.steps.length > 0 && (
        <Steps>
          {progress.steps.map((entry, index) => (
            <li key={index} data-testid="setup-run-step" data-state={entry.state}>
              {entry.state === 'running' ? (
                <Spinner size="20px" delayMS={0} aria-hidden="true" />
              ) : (
                <StatusMark state={entry.state === 'done' ? 'ok' : entry.state === 'failed' ? 'failing' : 'unknown'} />
              )}
              <span>{entry.detail ?? entry.step.summary}</span>
            </li>
          ))}
        </Steps>
      )}
      {progress.error !== null && (
        <Alert type="error" role="alert" data-testid="setup-run-error">
          <Alert.Title>Setup did not finish</Alert.Title>
          <Alert.Paragraph>{progress.error.message}</Alert.Paragraph>
        </Alert>
      )}
    </Panel>
  );
}

const Panel = styled.div`
  margin-bottom: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.sm} ${({ theme }) => theme.space.md};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
`;

const Line = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.xs};
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
  }
`;

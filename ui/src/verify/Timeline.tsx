import type { ReactNode } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Spinner } from '@zendeskgarden/react-loaders';
import type { FixView, VerifyStep } from '../api';
import { StatusMark } from '../shell/StatusMark';
import { formatDuration } from './run';
import { Prose } from '../shell/Prose';
import { VisuallyHidden } from '../shell/VisuallyHidden';

const STATE_TEXT: Record<VerifyStep['state'], string> = {
  running: 'Running',
  passed: 'Passed',
  failed: 'Failed',
  skipped: 'Skipped',
};

/** What the admin can do about a failed step: its fix's button, "Open in Zendesk", "Re-run verify". */
export interface StepActions {
  /** The fix's own button (Repair, Sign in again, Start the relay...), `null` when the fix has none. */
  fixLabel: (fix: FixView) => string | null;
  onFix: (fix: FixView) => void;
  onOpenInZendesk: (fix: FixView) => void;
  onRerun: () => void;
  /** A repair or a new run is under way: the buttons wait. */
  busy: boolean;
}

/**
 * The verification's steps as a timeline, in the order they run: a spinner while a step runs, then its mark, its
 * time and what was found; a failed step adds the cause, the fix and the buttons that act on it.
 */
export function Timeline({
  steps,
  running,
  actions,
  afterFailure,
}: {
  steps: readonly VerifyStep[];
  running: boolean;
  actions: StepActions;
  /** Shown under a failed step's buttons: the repair they started, as it runs. */
  afterFailure?: ReactNode;
}) {
  return (
    <Steps aria-label="Verification steps" aria-live="polite" data-testid="verify-steps">
      {steps.map((step) => (
        <li key={step.id} data-testid={`verify-step-${step.id}`} data-state={step.state}>
          <Mark>
            {step.state === 'running' && running ? (
              <Spinner size="20px" delayMS={0} aria-hidden="true" />
            ) : step.state === 'passed' || step.state === 'failed' ? (
              <StatusMark state={step.state === 'passed' ? 'ok' : 'failing'} />
            ) : (
              <NotRun aria-hidden="true">{'\u2013'}</NotRun>
            )}
          </Mark>
          <Body>
            <Head>
              <Label>
                {step.label}
                <VisuallyHidden>: {step.state === 'running' && !running ? 'Stopped' : STATE_TEXT[step.state]}</VisuallyHidden>
              </Label>
              {step.durationMs !== null && step.state !== 'skipped' && (
                <Duration data-testid={`verify-step-duration-${step.id}`}>{formatDuration(step.durationMs)}</Duration>
              )}
            </Head>
            <Detail $muted={step.state === 'skipped'}>{step.detail}</Detail>
            {step.state === 'failed' && (
              <Failure step={step} actions={actions}>
                {afterFailure}
              </Failure>
            )}
          </Body>
        </li>
      ))}
    </Steps>
  );
}

function Failure({ step, actions, children }: { step: VerifyStep; actions: StepActions; children?: ReactNode }) {
  const fix = step.action;
  const fixLabel = fix === null ? null : actions.fixLabel(fix);
  return (
    <Explained data-testid="verify-failure">
      {step.cause !== null && (
        <p data-testid="verify-cause">
          <strong>Cause:</strong> <Prose text={step.cause} />
        </p>
      )}
      {step.fix !== null && (
        <p data-testid="verify-fix">
          <strong>Fix:</strong> <Prose text={step.fix} />
        </p>
      )}
      <Buttons>
        {fix !== null && fixLabel !== null && (
          <Button
            size="small"
            isPrimary
            data-testid="verify-action"
            data-fix={fix.id}
            aria-disabled={actions.busy}
            title={fix.command}
            onClick={() => {
              if (!actions.busy) actions.onFix(fix);
            }}
          >
            {fixLabel}
          </Button>
        )}
        {fix?.opensInZendesk === true && (
          <Button
            size="small"
            data-testid="verify-open-zendesk"
            onClick={() => {
              actions.onOpenInZendesk(fix);
            }}
          >
            Open in Zendesk
          </Button>
        )}
        <Button
          size="small"
          data-testid="verify-rerun"
          aria-disabled={actions.busy}
          onClick={() => {
            if (!actions.busy) actions.onRerun();
          }}
        >
          Re-run verify
        </Button>
      </Buttons>
      {children}
    </Explained>
  );
}

const Steps = styled.ol`
  list-style: none;
  margin: 0;
  padding: 0;

  li {
    display: flex;
    gap: ${({ theme }) => theme.space.sm};
    position: relative;
    padding-bottom: ${({ theme }) => theme.space.md};
  }

  /* The line that joins the marks, as in a timeline. */
  li:not(:last-child)::before {
    content: '';
    position: absolute;
    top: 24px;
    bottom: 2px;
    left: 9px;
    border-left: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  }
`;

const Mark = styled.div`
  display: flex;
  flex: none;
  justify-content: center;
  width: 20px;
`;

/** A step that did not run (skipped, or stopped with its run): an empty circle with a dash, quieter than a verdict. */
const NotRun = styled.span`
  display: inline-flex;
  flex: none;
  align-items: center;
  justify-content: center;
  box-sizing: border-box;
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.emphasis' })};
  border-radius: 50%;
  width: 20px;
  height: 20px;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  background: ${({ theme }) => getColor({ theme, variable: 'background.default' })};
`;

const Body = styled.div`
  flex: 1;
  min-width: 0;
`;

const Head = styled.div`
  display: flex;
  align-items: baseline;
  gap: ${({ theme }) => theme.space.sm};
`;

const Label = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Duration = styled.span`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  font-variant-numeric: tabular-nums;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Detail = styled.div<{ $muted: boolean }>`
  overflow-wrap: anywhere;
  color: ${({ theme, $muted }) => getColor({ theme, variable: $muted ? 'foreground.disabled' : 'foreground.subtle' })};
`;

const Explained = styled.div`
  margin-top: ${({ theme }) => theme.space.xs};
  border-left: 3px solid ${({ theme }) => getColor({ theme, variable: 'border.dangerEmphasis' })};
  padding-left: ${({ theme }) => theme.space.sm};

  p {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    overflow-wrap: anywhere;
  }
`;

const Buttons = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space.xs};
  margin: ${({ theme }) => theme.space.xs} 0;
`;


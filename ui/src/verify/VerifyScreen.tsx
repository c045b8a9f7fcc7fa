import { useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Dots, Spinner } from '@zendeskgarden/react-loaders';
import { Tag } from '@zendeskgarden/react-tags';
import { LG, Paragraph } from '@zendeskgarden/react-typography';
import {
  CommandError,
  lastVerification,
  openFixPage,
  openVerificationTicket,
  runSetup,
  verifyNow,
  type FixView,
  type RepChoice,
  type Verification,
} from '../api';
import type { ConnectionState } from '../connection';
import type { ScreenId } from '../screens';
import { planFix } from '../setup/fixes';
import { SetupRun, applyEvent, startProgress as startRepair, type RunProgress } from '../setup/SetupRun';
import { RepPicker, type RepPick } from './RepPicker';
import { applyVerifyEvent, failedStep, finished, formatDuration, startProgress, type VerifyProgress } from './run';
import { Timeline } from './Timeline';

type Last = { state: 'loading' } | { state: 'ready'; verification: Verification | null } | { state: 'failed'; error: CommandError };

/**
 * The Verify screen (SPEC §6): "Verify now" proves the whole loop the way a real conversation takes it, each step shown
 * as it runs with its time; a failed step gives its cause, its fix and buttons to repair, open Zendesk or run it again.
 * The last verification is shown when the screen opens.
 */
export function VerifyScreen({
  connection,
  onNavigate,
}: {
  connection: ConnectionState;
  onNavigate: (screen: ScreenId) => void;
}) {
  const [last, setLast] = useState<Last>({ state: 'loading' });
  const [run, setRun] = useState<VerifyProgress | null>(null);
  const [pick, setPick] = useState<RepPick>({ kind: 'auto', agentId: '' });
  const [pickError, setPickError] = useState<string | null>(null);
  const [repair, setRepair] = useState<RunProgress | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const panelRef = useRef<HTMLElement>(null);
  const connected = connection.state === 'ready' && connection.connection !== null;

  useEffect(() => {
    if (!connected) {
      return undefined;
    }
    let gone = false;
    lastVerification().then(
      (verification) => {
        if (!gone) setLast({ state: 'ready', verification });
      },
      (raw: unknown) => {
        if (!gone) setLast({ state: 'failed', error: CommandError.from(raw) });
      },
    );
    return () => {
      gone = true;
    };
  }, [connected]);

  if (connection.state !== 'ready') {
    return <Paragraph>Reading the saved connection…</Paragraph>;
  }
  if (connection.connection === null) {
    return (
      <Paragraph data-testid="verify-not-connected">
        Verification runs on a connected Zendesk account: connect one on the Connect screen, or try the sandbox, first.
      </Paragraph>
    );
  }
  const saved = connection.connection;
  const running = run?.running === true;
  const repairing = repair !== null && repair.finished === 'no';
  const shown: VerifyProgress | null = run ?? (last.state === 'ready' && last.verification !== null ? finished(last.verification) : null);

  async function verify() {
    if (running || repairing) {
      return;
    }
    const rep = repChoice(pick);
    if (typeof rep === 'string') {
      setPickError(rep);
      return;
    }
    setPickError(null);
    setRepair(null);
    setActionError(null);
    let progress = startProgress();
    setRun(progress);
    try {
      const result = await verifyNow(rep, (event) => {
        progress = applyVerifyEvent(progress, event);
        setRun(progress);
      });
      progress = { ...finished(result), relay: result.relay ?? progress.relay };
      setLast({ state: 'ready', verification: result });
    } catch (raw) {
      progress = { ...progress, running: false, error: CommandError.from(raw) };
    }
    setRun(progress);
    // The outcome, and the failed step under it, come into view once the run ends.
    panelRef.current?.scrollIntoView({ block: 'start' });
  }

  async function runRepair(scope: string) {
    if (repairing) {
      return;
    }
    let progress = startRepair(scope);
    setRepair(progress);
    try {
      await runSetup(scope, (event) => {
        progress = applyEvent(progress, event);
        setRepair(progress);
      });
      progress = { ...progress, finished: 'done' };
    } catch (raw) {
      progress = { ...progress, finished: 'failed', error: CommandError.from(raw) };
    }
    setRepair(progress);
  }

  function onFix(fix: FixView) {
    const plan = planFix(fix);
    switch (plan.kind) {
      case 'setup':
        if (plan.consent) {
          onNavigate('setup');
        } else {
          void runRepair(plan.scope);
        }
        return;
      case 'navigate':
        onNavigate(plan.screen);
        return;
      case 'refresh':
      case 'explain':
        return;
    }
  }

  function openInZendesk(fix: FixView) {
    setActionError(null);
    openFixPage(fix.id).catch((raw: unknown) => {
      setActionError(CommandError.from(raw).message);
    });
  }

  return (
    <>
      <Intro>
        A verification hands a test conversation off, checks the ticket in Zendesk, has a rep reply publicly, and follows
        the reply through Zendesk&apos;s trigger and webhook to the relay and back onto the conversation, the same path a
        real reply takes. The ticket and its requester are deleted at the end.
      </Intro>
      <RepPicker
        pick={pick}
        defaultAgent={saved.defaultAgent}
        disabled={running}
        error={pickError}
        onChange={(next) => {
          setPick(next);
          setPickError(null);
        }}
      />
      <Actions>
        <Button isPrimary data-testid="verify-run" aria-disabled={running || repairing} onClick={() => void verify()}>
          {running ? (
            <>
              {'Verifying\u00A0'}
              <Dots delayMS={0} aria-hidden="true" />
            </>
          ) : (
            'Verify now'
          )}
        </Button>
      </Actions>

      {last.state === 'failed' && run === null && (
        <Notice type="warning" role="alert" data-testid="verify-error">
          <Alert.Title>The last verification could not be read</Alert.Title>
          <Alert.Paragraph>{last.error.message}</Alert.Paragraph>
        </Notice>
      )}
      {last.state === 'loading' && run === null && (
        <Progress role="status">
          <Spinner size="18px" delayMS={0} aria-hidden="true" />
          Reading the last verification
        </Progress>
      )}
      {last.state === 'ready' && last.verification === null && run === null && (
        <Paragraph data-testid="verify-never">
          No verification has run on this account yet. Verify now to prove the whole loop works.
        </Paragraph>
      )}

      {shown !== null && (
        <Run data-testid="verify-panel" aria-busy={running} ref={panelRef}>
          <RunHead>
            <LG tag="h2" isBold>
              {running ? 'Verifying' : run === null ? 'Last verification' : 'Verification'}
            </LG>
            {shown.result !== null && (
              <time data-testid="verify-when" dateTime={shown.result.startedAt}>
                {moment(shown.result.startedAt)}
              </time>
            )}
            {shown.result !== null && (
              <Tag hue={shown.result.passed ? 'green' : 'red'} size="small">
                {shown.result.passed ? 'Passed' : 'Failed'}
              </Tag>
            )}
          </RunHead>
          <Outcome progress={shown} />
          {shown.relay?.kind === 'hosted' && (
            <Notice type="info" data-testid="verify-relay">
              <Alert.Paragraph>
                The relay was stopped, so this verification served the webhook on {shown.relay.address} while it ran.
                Start the relay on the Relay screen so reps&apos; replies keep arriving.
              </Alert.Paragraph>
            </Notice>
          )}
          {shown.awaitingTicket !== null && running && (
            <Notice type="info" data-testid="verify-awaiting">
              <Alert.Title>Reply publicly to ticket #{shown.awaitingTicket} in Zendesk</Alert.Title>
              <Alert.Paragraph>
                Open the ticket, write a public reply (not an internal note) as yourself, and submit it. The verification
                goes on as soon as the reply reaches the relay.
              </Alert.Paragraph>
              <Button
                size="small"
                data-testid="verify-open-ticket"
                onClick={() => {
                  const ticket = shown.awaitingTicket;
                  if (ticket !== null) {
                    openVerificationTicket(ticket).catch((raw: unknown) => {
                      setActionError(CommandError.from(raw).message);
                    });
                  }
                }}
              >
                Open the ticket in Zendesk
              </Button>
            </Notice>
          )}
          {actionError !== null && (
            <Notice type="error" role="alert" data-testid="verify-action-error">
              <Alert.Paragraph>{actionError}</Alert.Paragraph>
            </Notice>
          )}
          <Timeline
            steps={shown.steps}
            running={running}
            afterFailure={
              repair !== null && (
                <>
                  <SetupRun progress={repair} />
                  {repair.finished === 'done' && (
                    <Repaired data-testid="verify-repaired">
                      Repaired. Run the verification again to prove the loop works now.
                    </Repaired>
                  )}
                </>
              )
            }
            actions={{
              fixLabel: (fix) => fixLabel(fix),
              onFix,
              onOpenInZendesk: openInZendesk,
              onRerun: () => void verify(),
              busy: running || repairing,
            }}
          />
        </Run>
      )}
    </>
  );
}

/** How the run ended, or `null` while it runs. */
function Outcome({ progress }: { progress: VerifyProgress }) {
  if (progress.error !== null) {
    return (
      <Notice type="error" role="alert" data-testid="verify-outcome" data-passed="false">
        <Alert.Title>The verification could not run</Alert.Title>
        <Alert.Paragraph>{progress.error.message}</Alert.Paragraph>
      </Notice>
    );
  }
  const result = progress.result;
  if (result === null) {
    return null;
  }
  if (result.passed) {
    const took = result.wallMs === null ? '' : ` in ${formatDuration(result.wallMs)}`;
    return (
      <Notice type="success" data-testid="verify-outcome" data-passed="true">
        <Alert.Title>Verified end to end{took}</Alert.Title>
        <Alert.Paragraph>
          A handoff made its ticket in Zendesk, {result.rep === null ? 'a rep' : result.rep.name} replied publicly, and the
          reply came back to the conversation, which a person now owns. The verification ticket was deleted.
        </Alert.Paragraph>
      </Notice>
    );
  }
  const failed = failedStep(result.steps);
  return (
    <Notice type="error" data-testid="verify-outcome" data-passed="false">
      <Alert.Title>Verification failed{failed === null ? '' : ` at \u201C${failed.label}\u201D`}</Alert.Title>
      <Alert.Paragraph>Fix it as the step below says, then run the verification again.</Alert.Paragraph>
    </Notice>
  );
}

/** The fix's own button on a failed step; "Re-run verify" is always there, so the fixes that only say that get none. */
function fixLabel(fix: FixView): string | null {
  const plan = planFix(fix);
  switch (plan.kind) {
    case 'setup':
      return plan.consent ? 'Open Setup' : plan.label;
    case 'navigate':
      return plan.screen === 'verify' ? null : plan.label;
    case 'refresh':
    case 'explain':
      return null;
  }
}

/** The pick as the command takes it, or why it cannot be used. */
function repChoice(pick: RepPick): RepChoice | string {
  switch (pick.kind) {
    case 'auto':
      return { kind: 'auto', agentId: null };
    case 'manual':
      return { kind: 'manual', agentId: null };
    case 'agent': {
      const id = pick.agentId.trim();
      return /^\d+$/.test(id) ? { kind: 'agent', agentId: id } : 'Enter the agent\u2019s ID (digits only), or pick another way to reply.';
    }
  }
}

/** The moment in the admin's locale; an unreadable value as received. */
function moment(rfc3339: string): string {
  const at = new Date(rfc3339);
  return Number.isNaN(at.getTime()) ? rfc3339 : at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

const Intro = styled(Paragraph)`
  margin-bottom: ${({ theme }) => theme.space.md};
  max-width: 760px;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Actions = styled.div`
  margin-bottom: ${({ theme }) => theme.space.lg};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const Run = styled.section`
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
`;

const RunHead = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-bottom: ${({ theme }) => theme.space.sm};

  h2 {
    margin: 0;
  }

  time {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }
`;

const Repaired = styled(Paragraph)`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Notice = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};

  button {
    margin-top: ${({ theme }) => theme.space.xs};
  }
`;

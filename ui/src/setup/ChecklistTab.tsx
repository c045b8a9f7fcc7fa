import { useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { Tag } from '@zendeskgarden/react-tags';
import { LG, MD } from '@zendeskgarden/react-typography';
import { CommandError, runSetup, setupChecklist, type ChecklistItem, type ChecklistSummary } from '../api';
import { useLive } from '../relay/live';
import type { ScreenId } from '../screens';
import { STATE_TEXT, StatusMark } from '../shell/StatusMark';
import { statusChanged } from '../shell/statusEvents';
import { anythingMissing, planFix, type FixPlan } from './fixes';
import { SetupRun, applyEvent, startProgress, type RunProgress } from './SetupRun';
import { VisuallyHidden } from '../shell/VisuallyHidden';

/** Reads the checklist; the status bar's counts follow at once. */
function readChecklist() {
  return setupChecklist().then((checklist) => {
    statusChanged();
    return checklist;
  });
}

/** How often the checklist refreshes itself while shown (SPEC §5: every 30 s). */
export const CHECKLIST_REFRESH_MS = 30_000;

/**
 * The live checklist: refreshed now, every 30 s while shown and on demand; "Create for me" on top when anything setup
 * makes is missing; one row per item with its mark, evidence and fix. A fix setup performs runs here, streamed.
 */
export function ChecklistTab({
  onNavigate,
  refreshEveryMs,
}: {
  onNavigate: (screen: ScreenId) => void;
  refreshEveryMs: number;
}) {
  const { live, refresh, busy } = useLive(readChecklist, refreshEveryMs);
  const [run, setRun] = useState<RunProgress | null>(null);
  const [consent, setConsent] = useState<string | null>(null);
  const [explained, setExplained] = useState<string | null>(null);
  const running = run !== null && run.finished === 'no';

  async function setup(scope: string) {
    if (running) {
      return;
    }
    setConsent(null);
    let progress = startProgress(scope);
    setRun(progress);
    try {
      await runSetup(scope, (event) => {
        progress = applyEvent(progress, event);
        setRun(progress);
      });
      progress = { ...progress, finished: 'done' };
    } catch (raw) {
      progress = { ...progress, finished: 'failed', error: CommandError.from(raw) };
    }
    setRun(progress);
    refresh();
  }

  function onFix(item: ChecklistItem, plan: FixPlan) {
    switch (plan.kind) {
      case 'setup':
        if (plan.consent) {
          setConsent(item.id);
        } else {
          void setup(plan.scope);
        }
        return;
      case 'navigate':
        onNavigate(plan.screen);
        return;
      case 'refresh':
        refresh();
        return;
      case 'explain':
        setExplained(explained === item.id ? null : item.id);
        return;
    }
  }

  const checklist = live.state === 'ready' ? live.value : null;
  return (
    <Body>
      <Toolbar>
        {checklist !== null && <SummaryTags summary={checklist.summary} />}
        <Spacer />
        {checklist !== null && (
          <Refreshed data-testid="setup-refreshed-at" dateTime={checklist.refreshedAt}>
            Last refreshed {clock(checklist.refreshedAt)}
          </Refreshed>
        )}
        {busy && live.state !== 'loading' && (
          <Progress role="status">
            <Spinner size="16px" delayMS={0} aria-hidden="true" />
            Refreshing
          </Progress>
        )}
        <Button size="small" data-testid="setup-refresh" aria-disabled={busy} onClick={refresh}>
          Refresh
        </Button>
      </Toolbar>

      {checklist !== null && anythingMissing(checklist.items) && (
        <CreateCard data-testid="setup-create-card">
          <div>
            <LG tag="h2" isBold>
              Create the webhook and the trigger
            </LG>
            <MD>
              The console makes them in Zendesk for you (or adopts ones that already point at the relay), fetches the
              webhook&apos;s signing secret, and shows each step as it goes. It changes nothing it did not make.
            </MD>
          </div>
          <Button isPrimary data-testid="setup-create" aria-disabled={running} onClick={() => void setup('all')}>
            Create for me
          </Button>
        </CreateCard>
      )}

      {run !== null && <SetupRun progress={run} />}

      {live.state === 'loading' && (
        <Progress role="status">
          <Spinner size="20px" delayMS={0} aria-hidden="true" />
          Checking Zendesk and the relay
        </Progress>
      )}
      {live.state === 'failed' && (
        <Alert type="error" role="alert" data-testid="setup-error">
          <Alert.Title>The checklist could not be read</Alert.Title>
          <Alert.Paragraph>{live.error.message}</Alert.Paragraph>
        </Alert>
      )}
      {live.state === 'ready' && live.error !== null && (
        <Notice type="warning" role="alert" data-testid="setup-error">
          <Alert.Title>The last refresh failed</Alert.Title>
          <Alert.Paragraph>{live.error.message} The checklist below is from the refresh before.</Alert.Paragraph>
        </Notice>
      )}

      {checklist !== null && (
        <Items aria-label="Setup checklist" data-testid="setup-checklist">
          {checklist.items.map((item) => {
            const plan = item.fix === null ? null : planFix(item.fix);
            return (
              <li key={item.id} data-testid={`checklist-item-${item.id}`} data-state={item.state}>
                <StatusMark state={item.state} />
                <ItemText>
                  <ItemLabel>
                    {item.label}
                    <VisuallyHidden>: {STATE_TEXT[item.state]}</VisuallyHidden>
                  </ItemLabel>
                  <Evidence data-testid={`checklist-evidence-${item.id}`}>{item.evidence}</Evidence>
                  {plan?.kind === 'explain' && explained === item.id && item.fix !== null && (
                    <Explanation data-testid={`checklist-explain-${item.id}`}>
                      {plan.text}
                      <code>{item.fix.command}</code>
                    </Explanation>
                  )}
                  {consent === item.id && (
                    <Notice type="warning" data-testid="setup-consent">
                      <Alert.Title>Change Zendesk&apos;s own triggers?</Alert.Title>
                      <Alert.Paragraph>
                        The triggers named above email the requester on every public reply. The console adds one
                        condition to each, so they skip tickets the AI platform delivers (tagged by this integration);
                        nothing else in them changes. Channels Zendesk should still email are set with{' '}
                        <code>handoff config set zendesk-delivers</code>.
                      </Alert.Paragraph>
                      <ConsentButtons>
                        <Button
                          size="small"
                          isPrimary
                          data-testid="setup-consent-confirm"
                          onClick={() => void setup('double-delivery')}
                        >
                          Add the condition
                        </Button>
                        <Button
                          size="small"
                          isBasic
                          data-testid="setup-consent-cancel"
                          onClick={() => {
                            setConsent(null);
                          }}
                        >
                          Cancel
                        </Button>
                      </ConsentButtons>
                    </Notice>
                  )}
                </ItemText>
                {plan !== null && item.state !== 'ok' && (
                  <Button
                    size="small"
                    isPrimary={plan.kind === 'setup' && item.state === 'failing'}
                    data-testid={`checklist-fix-${item.id}`}
                    data-fix={item.fix?.id}
                    aria-disabled={running}
                    title={item.fix?.command}
                    onClick={() => {
                      if (!running) {
                        onFix(item, plan);
                      }
                    }}
                  >
                    {plan.label}
                  </Button>
                )}
              </li>
            );
          })}
        </Items>
      )}
    </Body>
  );
}

function SummaryTags({ summary }: { summary: ChecklistSummary }) {
  return (
    <Tags data-testid="setup-summary">
      <Tag hue="green" size="small">
        {summary.ok} OK
      </Tag>
      {summary.warning > 0 && (
        <Tag hue="yellow" size="small">
          {summary.warning} warning{summary.warning === 1 ? '' : 's'}
        </Tag>
      )}
      {summary.failing > 0 && (
        <Tag hue="red" size="small">
          {summary.failing} failing
        </Tag>
      )}
      {summary.unknown > 0 && (
        <Tag hue="grey" size="small">
          {summary.unknown} unknown
        </Tag>
      )}
    </Tags>
  );
}

/** "14:05:09" in the admin's locale; an unreadable value as received. */
function clock(rfc3339: string): string {
  const moment = new Date(rfc3339);
  return Number.isNaN(moment.getTime()) ? rfc3339 : moment.toLocaleTimeString();
}

const Body = styled.div`
  padding-top: ${({ theme }) => theme.space.md};
`;

const Toolbar = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Spacer = styled.span`
  flex: 1;
`;

const Tags = styled.span`
  display: inline-flex;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Refreshed = styled.time`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const CreateCard = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.lg};
  justify-content: space-between;
  margin-bottom: ${({ theme }) => theme.space.md};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.primaryEmphasis' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
  background: ${({ theme }) => getColor({ theme, hue: 'blue', shade: 100 })};

  h2 {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
  }

  button {
    flex: none;
  }
`;

const Notice = styled(Alert)`
  margin: ${({ theme }) => theme.space.xs} 0;
`;

const Items = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;
  border-top: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.subtle' })};

  li {
    display: flex;
    align-items: flex-start;
    gap: ${({ theme }) => theme.space.sm};
    padding: ${({ theme }) => theme.space.sm} 0;
    border-bottom: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.subtle' })};
  }

  li > button {
    flex: none;
  }
`;

const ItemText = styled.div`
  display: flex;
  flex: 1;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.xxs};
  min-width: 0;
`;

const ItemLabel = styled.span`
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Evidence = styled.span`
  overflow-wrap: anywhere;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Explanation = styled.span`
  code {
    display: block;
    margin-top: ${({ theme }) => theme.space.xxs};
    font-family: ${({ theme }) => theme.fonts.mono};
    font-size: ${({ theme }) => theme.fontSizes.sm};
  }
`;

const ConsentButtons = styled.div`
  display: flex;
  gap: ${({ theme }) => theme.space.xs};
  margin-top: ${({ theme }) => theme.space.sm};
`;


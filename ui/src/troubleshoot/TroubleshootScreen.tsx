import { useEffect, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Dots, Spinner } from '@zendeskgarden/react-loaders';
import { MD, Paragraph } from '@zendeskgarden/react-typography';
import {
  CommandError,
  diagnoseSymptom,
  openAdminPage,
  openFolder,
  runSetup,
  saveDiagnosticsBundle,
  troubleshootSymptoms,
  type BundleView,
  type Finding,
  type FindingAction,
  type ProbeView,
  type SymptomView,
} from '../api';
import type { ConnectionState } from '../connection';
import type { ScreenId } from '../screens';
import { SetupRun, applyEvent, startProgress, type RunProgress } from '../setup/SetupRun';
import { StatusMark } from '../shell/StatusMark';
import { statusChanged } from '../shell/statusEvents';
import { Prose } from '../shell/Prose';
import { VisuallyHidden } from '../shell/VisuallyHidden';

type Look = { state: 'looking' } | { state: 'found'; finding: Finding } | { state: 'failed'; error: CommandError };

type Saved = { state: 'idle' } | { state: 'saving' } | { state: 'saved'; bundle: BundleView } | { state: 'failed'; message: string };

const OUTCOME_TEXT: Record<ProbeView['outcome'], string> = { ok: 'Fine', problem: 'Problem', unknown: 'Not judged' };

/**
 * The Troubleshoot screen (SPEC §10): the documented symptoms as cards; opening one runs its probes against the
 * account and the data folder and shows what each saw, then the cause, the fix and the button that performs it
 * (Repair, Open in Zendesk, Verify, Sign in again). "Save diagnostics bundle" writes the redacted zip into the data
 * folder and offers to open that folder.
 */
export function TroubleshootScreen({
  connection,
  onNavigate,
  onReconnect,
}: {
  connection: ConnectionState;
  onNavigate: (screen: ScreenId) => void;
  onReconnect: () => void;
}) {
  const [symptoms, setSymptoms] = useState<SymptomView[] | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [looks, setLooks] = useState<Record<string, Look>>({});
  const [saved, setSaved] = useState<Saved>({ state: 'idle' });
  const connected = connection.state === 'ready' && connection.connection !== null;

  useEffect(() => {
    troubleshootSymptoms().then(setSymptoms, () => {
      setSymptoms([]);
    });
  }, []);

  async function look(id: string) {
    setLooks((all) => ({ ...all, [id]: { state: 'looking' } }));
    try {
      const finding = await diagnoseSymptom(id);
      setLooks((all) => ({ ...all, [id]: { state: 'found', finding } }));
      statusChanged();
    } catch (raw) {
      setLooks((all) => ({ ...all, [id]: { state: 'failed', error: CommandError.from(raw) } }));
    }
  }

  function toggle(id: string) {
    if (open === id) {
      setOpen(null);
      return;
    }
    setOpen(id);
    void look(id);
  }

  async function save() {
    if (saved.state === 'saving') return;
    setSaved({ state: 'saving' });
    try {
      setSaved({ state: 'saved', bundle: await saveDiagnosticsBundle() });
    } catch (raw) {
      setSaved({ state: 'failed', message: CommandError.from(raw).message });
    }
  }

  if (connection.state !== 'ready') {
    return <Paragraph>Reading the saved connection…</Paragraph>;
  }
  return (
    <>
      <Intro>
        Pick what you see. The console looks at the account (the webhook, the triggers, Zendesk&apos;s delivery log and
        rate limit) and at this computer&apos;s queues and deliveries, then says the cause and the fix. It changes nothing
        until you click the fix.
      </Intro>
      {!connected && (
        <Notice type="info" data-testid="troubleshoot-not-connected">
          <Alert.Paragraph>
            The symptoms are looked into on a connected Zendesk account: connect one on the Connect screen first. A
            diagnostics bundle can still be saved with this computer&apos;s data.
          </Alert.Paragraph>
        </Notice>
      )}
      <Bundle>
        <Button data-testid="troubleshoot-save-bundle" aria-disabled={saved.state === 'saving'} onClick={() => void save()}>
          {saved.state === 'saving' ? (
            <>
              {'Saving\u00A0'}
              <Dots delayMS={0} aria-hidden="true" />
            </>
          ) : (
            'Save diagnostics bundle'
          )}
        </Button>
        <Hint>
          A zip for whoever helps you: the settings, the checklist, every symptom&apos;s findings, recent deliveries and
          logs, with every secret removed.
        </Hint>
      </Bundle>
      {saved.state === 'saved' && (
        <Notice type="success" role="status" data-testid="troubleshoot-bundle-saved">
          <Alert.Title>Diagnostics bundle saved</Alert.Title>
          <Alert.Paragraph>
            <Mono data-testid="troubleshoot-bundle-path">{saved.bundle.path}</Mono> ({saved.bundle.files.length} files,{' '}
            {Math.max(1, Math.round(saved.bundle.bytes / 1024))} KB)
          </Alert.Paragraph>
          <Button size="small" data-testid="troubleshoot-open-bundle-folder" onClick={() => void openFolder('diagnostics')}>
            Open folder
          </Button>
        </Notice>
      )}
      {saved.state === 'failed' && (
        <Notice type="error" role="alert" data-testid="troubleshoot-bundle-error">
          <Alert.Title>The bundle was not saved</Alert.Title>
          <Alert.Paragraph>{saved.message}</Alert.Paragraph>
        </Notice>
      )}

      {symptoms === null ? (
        <Progress role="status">
          <Spinner size="20px" delayMS={0} aria-hidden="true" />
          Reading the symptoms
        </Progress>
      ) : (
        <Cards aria-label="Symptoms">
          {symptoms.map((symptom) => {
            const expanded = open === symptom.id;
            const current = looks[symptom.id];
            return (
              <li key={symptom.id}>
                <Card data-testid={`symptom-${symptom.id}`} data-open={expanded} $open={expanded}>
                  <CardHead>
                    <MD tag="h2" isBold id={`symptom-title-${symptom.id}`}>
                      {symptom.title}
                    </MD>
                    <Button
                      size="small"
                      data-testid={`symptom-open-${symptom.id}`}
                      aria-expanded={expanded}
                      aria-controls={`symptom-body-${symptom.id}`}
                      disabled={!connected}
                      onClick={() => {
                        toggle(symptom.id);
                      }}
                    >
                      {expanded ? 'Close' : 'Look into it'}
                    </Button>
                  </CardHead>
                  {expanded && current !== undefined && (
                    <div id={`symptom-body-${symptom.id}`} aria-live="polite">
                      <FindingBody
                        look={current}
                        onLookAgain={() => void look(symptom.id)}
                        onNavigate={onNavigate}
                        onReconnect={onReconnect}
                      />
                    </div>
                  )}
                </Card>
              </li>
            );
          })}
        </Cards>
      )}
    </>
  );
}

function FindingBody({
  look,
  onLookAgain,
  onNavigate,
  onReconnect,
}: {
  look: Look;
  onLookAgain: () => void;
  onNavigate: (screen: ScreenId) => void;
  onReconnect: () => void;
}) {
  switch (look.state) {
    case 'looking':
      return (
        <Progress role="status" data-testid="finding-looking">
          <Spinner size="18px" delayMS={0} aria-hidden="true" />
          Looking at the account and this computer
        </Progress>
      );
    case 'failed':
      return (
        <Notice type="error" role="alert" data-testid="finding-error">
          <Alert.Title>The symptom could not be looked into</Alert.Title>
          <Alert.Paragraph>{look.error.message}</Alert.Paragraph>
          <Button size="small" onClick={onLookAgain}>
            Try again
          </Button>
        </Notice>
      );
    case 'found':
      return (
        <Found finding={look.finding} onLookAgain={onLookAgain} onNavigate={onNavigate} onReconnect={onReconnect} />
      );
  }
}

function Found({
  finding,
  onLookAgain,
  onNavigate,
  onReconnect,
}: {
  finding: Finding;
  onLookAgain: () => void;
  onNavigate: (screen: ScreenId) => void;
  onReconnect: () => void;
}) {
  const [repair, setRepair] = useState<RunProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const repairing = repair !== null && repair.finished === 'no';

  async function runRepair(scope: string) {
    if (repairing) return;
    let progress = startProgress(scope);
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

  return (
    <Body data-testid="finding" data-found={finding.found}>
      <Probes aria-label="What was looked at">
        {finding.probes.map((probe) => (
          <li key={probe.name} data-testid={`probe-${probe.name}`} data-outcome={probe.outcome}>
            <StatusMark state={probe.outcome === 'ok' ? 'ok' : probe.outcome === 'problem' ? 'failing' : 'unknown'} />
            <span>
              <VisuallyHidden>{OUTCOME_TEXT[probe.outcome]}: </VisuallyHidden>
              {probe.evidence}
            </span>
          </li>
        ))}
      </Probes>
      {finding.found ? (
        <Diagnosis data-testid="finding-diagnosis">
          <p data-testid="finding-cause">
            <strong>Cause:</strong> <Prose text={finding.cause} />
          </p>
          <p data-testid="finding-fix">
            <strong>Fix:</strong> <Prose text={finding.fix} />
          </p>
          <Buttons>
            {finding.action !== null && (
              <ActionButton
                action={finding.action}
                busy={repairing}
                onRepair={(scope) => void runRepair(scope)}
                onOpen={(url) => {
                  setError(null);
                  openAdminPage(url).catch((raw: unknown) => {
                    setError(CommandError.from(raw).message);
                  });
                }}
                onVerify={() => {
                  onNavigate('verify');
                }}
                onReconnect={onReconnect}
              />
            )}
            <Button size="small" data-testid="finding-look-again" aria-disabled={repairing} onClick={onLookAgain}>
              Look again
            </Button>
          </Buttons>
          {repair !== null && <SetupRun progress={repair} />}
          {error !== null && (
            <Paragraph role="alert" data-testid="finding-action-error">
              {error}
            </Paragraph>
          )}
        </Diagnosis>
      ) : (
        <Healthy data-testid="finding-healthy">
          Nothing here explains it: every probe above is fine or could not judge. Look again after it happens, or run a
          verification to follow a reply end to end.
          <Button size="small" isLink data-testid="finding-look-again" onClick={onLookAgain}>
            Look again
          </Button>
        </Healthy>
      )}
    </Body>
  );
}

/** The finding's own button: what performs its fix. */
function ActionButton({
  action,
  busy,
  onRepair,
  onOpen,
  onVerify,
  onReconnect,
}: {
  action: FindingAction;
  busy: boolean;
  onRepair: (scope: string) => void;
  onOpen: (url: string) => void;
  onVerify: () => void;
  onReconnect: () => void;
}) {
  switch (action.kind) {
    case 'repair': {
      const scope = action.fix?.scope ?? null;
      return scope === null ? null : (
        <Button
          size="small"
          isPrimary
          data-testid="finding-action"
          data-action="repair"
          aria-disabled={busy}
          title={action.command ?? undefined}
          onClick={() => {
            if (!busy) onRepair(scope);
          }}
        >
          Repair
        </Button>
      );
    }
    case 'open-in-zendesk':
      return action.url === null ? null : (
        <Button
          size="small"
          isPrimary
          data-testid="finding-action"
          data-action="open-in-zendesk"
          onClick={() => {
            if (action.url !== null) onOpen(action.url);
          }}
        >
          Open in Zendesk
        </Button>
      );
    case 'verify':
      return (
        <Button size="small" isPrimary data-testid="finding-action" data-action="verify" onClick={onVerify}>
          Re-run verify
        </Button>
      );
    case 'reconnect':
      return (
        <Button size="small" isPrimary data-testid="finding-action" data-action="reconnect" onClick={onReconnect}>
          Sign in again
        </Button>
      );
    case 'none':
      return null;
  }
}

const Intro = styled(Paragraph)`
  margin-bottom: ${({ theme }) => theme.space.md};
  max-width: 760px;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Bundle = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.md};
  margin-bottom: ${({ theme }) => theme.space.md};

  > button {
    flex: none;
  }
`;

const Hint = styled.span`
  max-width: 640px;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Notice = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};

  button {
    margin-top: ${({ theme }) => theme.space.xs};
  }
`;

const Mono = styled.code`
  font-family: ${({ theme }) => theme.fonts.mono};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  overflow-wrap: anywhere;
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  padding: ${({ theme }) => theme.space.xs} 0;
`;

const Cards = styled.ul`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};
  margin: 0;
  padding: 0;
  list-style: none;
`;

const Card = styled.div<{ $open: boolean }>`
  border: ${({ theme }) => theme.borders.sm}
    ${({ theme, $open }) => getColor({ theme, variable: $open ? 'border.primaryEmphasis' : 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.sm} ${({ theme }) => theme.space.md};
`;

const CardHead = styled.div`
  display: flex;
  align-items: center;
  justify-content: space-between;
  gap: ${({ theme }) => theme.space.md};

  h2 {
    margin: 0;
  }

  > button {
    flex: none;
  }
`;

const Body = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Probes = styled.ul`
  list-style: none;
  margin: 0;
  padding: 0;

  li {
    display: flex;
    align-items: flex-start;
    gap: ${({ theme }) => theme.space.xs};
    padding: ${({ theme }) => theme.space.xxs} 0;
    overflow-wrap: anywhere;
  }
`;

const Diagnosis = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
  border-left: 3px solid ${({ theme }) => getColor({ theme, variable: 'border.dangerEmphasis' })};
  padding-left: ${({ theme }) => theme.space.sm};

  p {
    margin: 0 0 ${({ theme }) => theme.space.xxs};
    overflow-wrap: anywhere;
  }
`;

const Healthy = styled(Paragraph)`
  margin-top: ${({ theme }) => theme.space.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};

  button {
    margin-left: ${({ theme }) => theme.space.xs};
  }
`;

const Buttons = styled.div`
  display: flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space.xs};
  margin: ${({ theme }) => theme.space.xs} 0;
`;


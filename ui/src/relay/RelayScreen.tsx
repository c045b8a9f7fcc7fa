import { useCallback, useMemo, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { LG, MD, Paragraph } from '@zendeskgarden/react-typography';
import {
  CommandError,
  getSession,
  listSessions,
  openTicket,
  startTestConversation,
  type QueueView,
} from '../api';
import type { ConnectionState } from '../connection';
import { useLive } from './live';
import { RelayControls } from './RelayControls';
import { SessionsTable } from './SessionsTable';
import { Transcript } from './Transcript';

/** How often the list and the open transcript are read again while the screen is shown. */
export const REFRESH_EVERY_MS = 2500;

type TestStart = { state: 'idle' } | { state: 'starting' } | { state: 'failed'; error: CommandError };

/**
 * The Relay screen. Its top half is the relay itself (`RelayControls`: state with Start and Stop, addresses, the
 * signed webhook URL, the live deliveries); below, the sessions: the list, kept fresh while shown, and the selected
 * session's transcript, where reps' replies arrive. In the sandbox, "Start a test conversation" hands a sample
 * conversation off to the sandbox account.
 */
export function RelayScreen({
  connection,
  refreshEveryMs = REFRESH_EVERY_MS,
  relayRefreshEveryMs,
}: {
  connection: ConnectionState;
  refreshEveryMs?: number;
  relayRefreshEveryMs?: number;
}) {
  const sandbox = connection.state === 'ready' && connection.connection?.demo === true;
  const [selected, setSelected] = useState<string | null>(null);
  const [testStart, setTestStart] = useState<TestStart>({ state: 'idle' });
  const [ticketError, setTicketError] = useState<CommandError | null>(null);
  const { live: list, refresh } = useLive(listSessions, refreshEveryMs);
  const loadSelected = useMemo(() => (selected === null ? null : () => getSession(selected)), [selected]);
  const { live: detail } = useLive(loadSelected, refreshEveryMs);

  const open = useCallback((sessionId: string) => {
    setTicketError(null);
    openTicket(sessionId).catch((raw: unknown) => {
      setTicketError(CommandError.from(raw));
    });
  }, []);

  async function startTest() {
    if (testStart.state === 'starting') {
      return;
    }
    setTestStart({ state: 'starting' });
    try {
      const started = await startTestConversation();
      setTestStart({ state: 'idle' });
      setSelected(started.sessionId);
      refresh();
    } catch (raw) {
      setTestStart({ state: 'failed', error: CommandError.from(raw) });
    }
  }

  const sessions = list.state === 'ready' ? list.value.sessions : [];
  return (
    <>
      <RelayControls refreshEveryMs={relayRefreshEveryMs} />

      <section aria-labelledby="sessions-heading">
        <SectionHead>
          <div>
            <LG tag="h2" id="sessions-heading" isBold>
              Sessions
            </LG>
            <Subtle>Conversations of the AI support agent, newest first, and their tickets in Zendesk.</Subtle>
          </div>
          {sandbox && (
            <StartTest>
              {testStart.state === 'starting' && (
                <Progress role="status">
                  <Spinner size="16px" delayMS={0} aria-hidden="true" />
                  Starting
                </Progress>
              )}
              <Button
                isPrimary
                data-testid="sessions-start-test"
                onClick={() => void startTest()}
                aria-disabled={testStart.state === 'starting'}
              >
                Start a test conversation
              </Button>
            </StartTest>
          )}
        </SectionHead>

        {list.state === 'ready' && <Queue queue={list.value.queue} />}
        {testStart.state === 'failed' && (
          <Notice type="error" role="alert" data-testid="sessions-start-test-error">
            <Alert.Title>The test conversation did not start</Alert.Title>
            <Alert.Paragraph>{testStart.error.message}</Alert.Paragraph>
          </Notice>
        )}
        {ticketError !== null && (
          <Notice type="error" role="alert" data-testid="session-ticket-error">
            <Alert.Title>The ticket did not open</Alert.Title>
            <Alert.Paragraph>{ticketError.message}</Alert.Paragraph>
          </Notice>
        )}
        {list.state !== 'loading' && list.error !== null && (
          <Notice type="error" role="alert" data-testid="sessions-error">
            <Alert.Title>The sessions could not be read</Alert.Title>
            <Alert.Paragraph>
              {sentence(list.error.message)} The list tries again every few seconds.
            </Alert.Paragraph>
          </Notice>
        )}

        {list.state === 'loading' && (
          <Progress role="status">
            <Spinner size="20px" delayMS={0} aria-hidden="true" />
            Reading the sessions
          </Progress>
        )}
        {list.state === 'ready' && sessions.length === 0 && <Empty sandbox={sandbox} />}
        {sessions.length > 0 && (
          <Split>
            <SessionsTable sessions={sessions} selected={selected} onSelect={setSelected} onOpenTicket={open} />
            <div>
              {selected === null && (
                <Placeholder data-testid="transcript-none">
                  <MD>Select a session to read its transcript.</MD>
                </Placeholder>
              )}
              {selected !== null && detail.state === 'loading' && (
                <Progress role="status">
                  <Spinner size="20px" delayMS={0} aria-hidden="true" />
                  Reading the transcript
                </Progress>
              )}
              {selected !== null && detail.state === 'failed' && (
                <Notice type="error" role="alert">
                  <Alert.Title>The transcript could not be read</Alert.Title>
                  <Alert.Paragraph>{detail.error.message}</Alert.Paragraph>
                </Notice>
              )}
              {selected !== null && detail.state === 'ready' && (
                <Transcript
                  session={detail.value}
                  onOpenTicket={() => {
                    open(detail.value.id);
                  }}
                />
              )}
            </div>
          </Split>
        )}
      </section>
    </>
  );
}

/** Who sends the handoffs: said plainly, and as a warning when nobody does. */
function Queue({ queue }: { queue: QueueView }) {
  switch (queue.state) {
    case 'here':
      return <QueueLine data-testid="sessions-queue">This app sends handoffs to Zendesk while it is open.</QueueLine>;
    case 'elsewhere':
      return (
        <QueueLine data-testid="sessions-queue">
          Another process on this data folder (<code>handoff serve</code>) sends handoffs to Zendesk; this app takes
          over if it stops.
        </QueueLine>
      );
    case 'idle':
      return (
        <QueueLine data-testid="sessions-queue">
          Handoffs are sent once the console is connected to Zendesk on the Connect screen.
        </QueueLine>
      );
    case 'failing':
      return (
        <Notice type="warning" role="alert" data-testid="sessions-queue">
          <Alert.Title>Handoffs are not being sent to Zendesk</Alert.Title>
          <Alert.Paragraph>
            {sentence(queue.reason ?? 'The handoff worker stopped')} They stay queued and are sent once this is
            fixed.
          </Alert.Paragraph>
        </Notice>
      );
  }
}

/** The message as a sentence, to be followed by another: a capital first letter and one full stop at its end. */
function sentence(message: string): string {
  const text = message.trim().replace(/[.\s]+$/, '');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

function Empty({ sandbox }: { sandbox: boolean }) {
  return (
    <EmptyBox data-testid="sessions-empty">
      <MD isBold>No sessions yet</MD>
      <Paragraph>
        A session appears here when the AI support agent starts a conversation through the sessions API (
        <code>handoff serve</code>) or the CLI (<code>handoff session new</code>).
      </Paragraph>
      {sandbox && (
        <Paragraph>Start a test conversation to watch one handed off to the sandbox account as a ticket.</Paragraph>
      )}
    </EmptyBox>
  );
}

const SectionHead = styled.div`
  display: flex;
  justify-content: space-between;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.md};
  margin-bottom: ${({ theme }) => theme.space.sm};

  h2 {
    margin: 0;
  }
`;

const Subtle = styled.div`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const StartTest = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  flex-shrink: 0;
`;

const QueueLine = styled.p`
  margin: 0 0 ${({ theme }) => theme.space.md};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Notice = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

const Split = styled.div`
  display: grid;
  grid-template-columns: minmax(0, 1fr) minmax(360px, 1fr);
  align-items: start;
  gap: ${({ theme }) => theme.space.lg};
`;

const Placeholder = styled.div`
  border: ${({ theme }) => theme.borderWidths.sm} dashed
    ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.lg};
  text-align: center;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const EmptyBox = styled.div`
  border: ${({ theme }) => theme.borderWidths.sm} dashed
    ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.xl} ${({ theme }) => theme.space.lg};
  text-align: center;

  p {
    margin-top: ${({ theme }) => theme.space.xs};
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }
`;

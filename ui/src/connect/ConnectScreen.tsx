import { useEffect, useState } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { CommandError, startDemo, type ConnectionView } from '../api';
import type { ConnectionState } from '../connection';
import { ConnectedPanel } from './ConnectedPanel';
import { ConnectFormPanel } from './ConnectFormPanel';
import type { Disconnected } from '../settings/Disconnect';
import { EMPTY_PREFILL, prefillFrom, type ConnectPrefill } from './prefill';
import { Welcome, type DemoStart } from './Welcome';

const LOAD_FAILURE_TITLES: Record<CommandError['code'], string> = {
  invalid_input: 'The saved connection could not be read',
  keychain_unavailable: 'The system keychain is not available',
  storage: 'The saved settings could not be read',
  zendesk: 'Zendesk could not be reached',
  not_connected: 'Not connected',
  internal: 'The saved connection could not be read',
};

/**
 * The Connect screen: the connected account when there is one; otherwise the welcome cards, which lead to the
 * Connect form or start the sandbox account. From a connection, "Move to OAuth" and "Sign in again" (and Settings'
 * "Rotate credentials") open the form prefilled with what the connection keeps: every check runs before the new
 * credentials replace the old ones, and nothing in Zendesk changes.
 */
export function ConnectScreen({
  connection,
  onConnected,
  onRetry,
  requestedForm = null,
  disconnected = null,
}: {
  connection: ConnectionState;
  onConnected: (connection: ConnectionView) => void;
  onRetry: () => void;
  /** Opens the form prefilled (Settings' "Rotate credentials"); a new object opens it again. */
  requestedForm?: ConnectPrefill | null;
  /** The account just disconnected on Settings, and what each step did. */
  disconnected?: Disconnected | null;
}) {
  const [form, setForm] = useState<ConnectPrefill | null>(requestedForm);
  useEffect(() => {
    if (requestedForm !== null) {
      setForm(requestedForm);
    }
  }, [requestedForm]);
  const [demo, setDemo] = useState<DemoStart>({ state: 'idle' });
  const connected = (saved: ConnectionView) => {
    setForm(null);
    onConnected(saved);
  };

  async function startSandbox() {
    if (demo.state === 'starting') {
      return;
    }
    setDemo({ state: 'starting' });
    try {
      const started = await startDemo();
      setDemo({ state: 'idle' });
      connected(started);
    } catch (raw) {
      setDemo({ state: 'failed', error: CommandError.from(raw) });
    }
  }

  switch (connection.state) {
    case 'loading':
      return (
        <Progress role="status">
          <Spinner size="24px" delayMS={0} aria-hidden="true" />
          Reading the saved connection
        </Progress>
      );
    case 'failed':
      return (
        <Alert type="error" role="alert">
          <Alert.Title>{LOAD_FAILURE_TITLES[connection.error.code]}</Alert.Title>
          <Alert.Paragraph>{connection.error.message}</Alert.Paragraph>
          <Retry>
            <Button size="small" onClick={onRetry}>
              Try again
            </Button>
          </Retry>
        </Alert>
      );
    case 'ready': {
      const saved = connection.connection;
      if (saved !== null && form !== null) {
        return (
          <ConnectFormPanel
            prefill={form}
            onConnected={connected}
            onBack={() => {
              setForm(null);
            }}
          />
        );
      }
      if (saved !== null) {
        return (
          <ConnectedPanel
            connection={saved}
            onMoveToOAuth={() => {
              setForm(prefillFrom(saved));
            }}
            onReconnect={() => {
              setForm(prefillFrom(saved));
            }}
          />
        );
      }
      if (form !== null) {
        return <ConnectFormPanel prefill={form} onConnected={connected} />;
      }
      return (
        <>
          {disconnected !== null && <Farewell disconnected={disconnected} />}
          <Welcome
            demo={demo}
            onConnect={() => {
              setForm(EMPTY_PREFILL);
            }}
            onDemo={() => void startSandbox()}
          />
        </>
      );
    }
  }
}

/**
 * Says the disconnect is done, and what the admin must still finish by hand (an API token only Admin Center can
 * delete, a token Zendesk would not revoke).
 */
function Farewell({ disconnected }: { disconnected: Disconnected }) {
  const toFinish = disconnected.steps.filter((step) => step.state === 'warning');
  return (
    <Notice type={toFinish.length === 0 ? 'success' : 'warning'} role="status" data-testid="connect-disconnected">
      <Alert.Title>Disconnected from {disconnected.account}</Alert.Title>
      <Alert.Paragraph>
        The trigger and webhook the console made are deleted, and its keychain entries are gone. Tickets stay in Zendesk,
        and conversations stay on this computer.
      </Alert.Paragraph>
      {toFinish.map((step) => (
        <Alert.Paragraph key={step.id}>To finish by hand: {step.detail}.</Alert.Paragraph>
      ))}
    </Notice>
  );
}

const Notice = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
`;

const Retry = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

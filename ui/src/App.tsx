import { useCallback, useEffect, useRef, useState } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { XXL } from '@zendeskgarden/react-typography';
import { CommandError, getConnection, type ConnectionView } from './api';
import { ConnectScreen } from './connect/ConnectScreen';
import { AiFieldsScreen } from './fields/AiFieldsScreen';
import type { ConnectionState } from './connection';
import { RelayScreen } from './relay/RelayScreen';
import { SCREENS, type ScreenId } from './screens';
import { prefillFrom, type ConnectPrefill } from './connect/prefill';
import type { Disconnected } from './settings/Disconnect';
import { SettingsScreen } from './settings/SettingsScreen';
import { SetupScreen } from './setup/SetupScreen';
import { Navigation } from './shell/Navigation';
import { StatusBar } from './shell/StatusBar';
import { TroubleshootScreen } from './troubleshoot/TroubleshootScreen';
import { VerifyScreen } from './verify/VerifyScreen';

/** The console: navigation on the left, the current screen, and the status bar under both. */
export function App() {
  const [screenId, setScreenId] = useState<ScreenId>('connect');
  const [connection, setConnection] = useState<ConnectionState>({ state: 'loading' });
  // Settings' "Rotate credentials" opens the Connect form prefilled with the saved account; each request is a new
  // object, so asking twice opens the form twice.
  const [connectForm, setConnectForm] = useState<ConnectPrefill | null>(null);
  // What the last disconnect did, said on the Connect screen until another account is connected.
  const [farewell, setFarewell] = useState<Disconnected | null>(null);
  const titleRef = useRef<HTMLHeadingElement>(null);
  const navigated = useRef(false);

  const loadConnection = useCallback(() => {
    setConnection({ state: 'loading' });
    getConnection().then(
      (saved) => {
        setConnection({ state: 'ready', connection: saved });
      },
      (raw: unknown) => {
        setConnection({ state: 'failed', error: CommandError.from(raw) });
      },
    );
  }, []);

  useEffect(() => {
    loadConnection();
  }, [loadConnection]);

  // After the admin picks a screen, keyboard and screen-reader focus follows to its title; on launch it stays put.
  useEffect(() => {
    if (navigated.current) {
      titleRef.current?.focus();
    }
  }, [screenId]);

  const screen = SCREENS.find((candidate) => candidate.id === screenId) ?? SCREENS[0];
  const onConnected = useCallback((saved: ConnectionView) => {
    setConnection({ state: 'ready', connection: saved });
    setConnectForm(null);
    setFarewell(null);
  }, []);
  const navigate = useCallback((id: ScreenId) => {
    navigated.current = true;
    setScreenId(id);
    // A form asked for by Settings is for that visit to Connect only.
    if (id !== 'connect') {
      setConnectForm(null);
    }
  }, []);
  const rotateCredentials = useCallback(() => {
    if (connection.state === 'ready' && connection.connection !== null) {
      setConnectForm(prefillFrom(connection.connection));
      navigate('connect');
    }
  }, [connection, navigate]);
  const disconnected = useCallback(
    (done: Disconnected) => {
      setFarewell(done);
      setConnection({ state: 'ready', connection: null });
      navigate('connect');
    },
    [navigate],
  );

  return (
    <Layout>
      <Navigation current={screenId} onSelect={navigate} />
      <Main>
        {screen !== undefined && (
          <>
            <XXL tag="h1" isBold data-testid="screen-title" ref={titleRef} tabIndex={-1}>
              {screen.title}
            </XXL>
            {screen.id === 'ai-fields' ? (
              <AiFieldsScreen connection={connection} />
            ) : screen.id === 'setup' ? (
              <SetupScreen connection={connection} onNavigate={navigate} />
            ) : screen.id === 'verify' ? (
              <VerifyScreen connection={connection} onNavigate={navigate} />
            ) : screen.id === 'settings' ? (
              <SettingsScreen
                connection={connection}
                onNavigate={navigate}
                onRotateCredentials={rotateCredentials}
                onDisconnected={disconnected}
              />
            ) : screen.id === 'troubleshoot' ? (
              <TroubleshootScreen connection={connection} onNavigate={navigate} onReconnect={rotateCredentials} />
            ) : screen.id === 'relay' ? (
              <RelayScreen connection={connection} />
            ) : (
              <ConnectScreen
                connection={connection}
                onConnected={onConnected}
                onRetry={loadConnection}
                requestedForm={connectForm}
                disconnected={farewell}
              />
            )}
          </>
        )}
      </Main>
      <StatusBar connection={connection} />
    </Layout>
  );
}

const Layout = styled.div`
  display: grid;
  grid-template-areas:
    'nav main'
    'status status';
  grid-template-columns: 220px 1fr;
  grid-template-rows: 1fr auto;
  height: 100vh;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
  background: ${({ theme }) => getColor({ theme, variable: 'background.default' })};
`;

const Main = styled.main`
  grid-area: main;
  /* The containing block of the screens' visually hidden labels: without it they escape the scroll area and make
     the whole window scroll. */
  position: relative;
  overflow-y: auto;
  padding: ${({ theme }) => theme.space.lg};

  h1 {
    margin-bottom: ${({ theme }) => theme.space.md};
  }

  h1:focus {
    outline: none;
  }
`;

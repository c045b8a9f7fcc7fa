import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Spinner } from '@zendeskgarden/react-loaders';
import { LG, Paragraph } from '@zendeskgarden/react-typography';
import type { CommandError } from '../api';

/** What the sandbox card shows: its offer, the sandbox starting, or why it did not start. */
export type DemoStart = { state: 'idle' } | { state: 'starting' } | { state: 'failed'; error: CommandError };

/** The first thing a new admin sees: connect a real account, or try everything on a sandbox account. */
export function Welcome({
  demo,
  onConnect,
  onDemo,
}: {
  demo: DemoStart;
  onConnect: () => void;
  onDemo: () => void;
}) {
  const starting = demo.state === 'starting';
  return (
    <>
      <Cards>
        <Card>
          <LG tag="h2" isBold>
            Connect your Zendesk
          </LG>
          <Paragraph>
            Sign in to your Zendesk account as an admin. The console checks the account, your role and the Default
            Agent before it saves anything.
          </Paragraph>
          <Button isPrimary data-testid="welcome-connect" onClick={onConnect} disabled={starting}>
            Connect your Zendesk
          </Button>
        </Card>
        <Card>
          <LG tag="h2" isBold>
            Try with a sandbox account
          </LG>
          <Paragraph>
            Runs a built-in Zendesk simulator seeded with a sample account, so every screen works without a Zendesk
            account. Nothing reaches a real Zendesk.
          </Paragraph>
          <Button data-testid="welcome-demo" onClick={onDemo} aria-disabled={starting}>
            Try with a sandbox account
          </Button>
          {starting && (
            <Progress role="status">
              <Spinner size="20px" delayMS={0} aria-hidden="true" />
              Starting the sandbox account
            </Progress>
          )}
        </Card>
      </Cards>
      {demo.state === 'failed' && (
        <Alert type="error" role="alert">
          <Alert.Title>The sandbox account did not start</Alert.Title>
          <Alert.Paragraph>{demo.error.message}</Alert.Paragraph>
        </Alert>
      )}
    </>
  );
}

const Cards = styled.div`
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(260px, 1fr));
  gap: ${({ theme }) => theme.space.md};
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const Card = styled.section`
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.sm};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
  background: ${({ theme }) => getColor({ theme, variable: 'background.raised' })};

  h2 {
    margin: 0;
  }

  p {
    flex: 1;
  }
`;

const Progress = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
`;

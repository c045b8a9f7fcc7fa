import styled from 'styled-components';
import { Alert } from '@zendeskgarden/react-notifications';
import type { CommandError } from '../api';

/** How a "Verify & Save" or "Sign in with Zendesk" run ended when it did not connect. */
export type Outcome = { state: 'none' } | { state: 'not_saved' } | { state: 'failed'; error: CommandError };

const FAILURE_TITLES: Record<CommandError['code'], string> = {
  invalid_input: 'Check the form',
  keychain_unavailable: 'The system keychain is not available',
  storage: 'The settings could not be saved',
  zendesk: 'Zendesk could not be reached',
  not_connected: 'Not connected',
  internal: 'The connection check stopped',
};

/** "Nothing was saved" after a failed check, or the command's own error. */
export function VerifyOutcome({ outcome }: { outcome: Outcome }) {
  switch (outcome.state) {
    case 'none':
      return null;
    case 'not_saved':
      return (
        <Box type="error" data-testid="connect-not-saved" role="alert">
          <Alert.Title>Nothing was saved</Alert.Title>
          <Alert.Paragraph>A required check failed. Follow its fix above, then try again.</Alert.Paragraph>
        </Box>
      );
    case 'failed':
      return (
        <Box type="error" role="alert">
          <Alert.Title>{FAILURE_TITLES[outcome.error.code]}</Alert.Title>
          <Alert.Paragraph>{outcome.error.message}</Alert.Paragraph>
        </Box>
      );
  }
}

const Box = styled(Alert)`
  margin-top: ${({ theme }) => theme.space.md};
`;

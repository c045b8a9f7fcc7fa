import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Alert } from '@zendeskgarden/react-notifications';
import { Tag } from '@zendeskgarden/react-tags';
import { XL } from '@zendeskgarden/react-typography';
import type { ConnectionView, UserView } from '../api';
import { describeDeadline } from './deadline';

/**
 * The saved connection: account, user, role, how the console signs in (with the token's expiry for OAuth), and when
 * it was connected. An API-token connection carries the deadline banner with "Move to OAuth"; a connection Zendesk
 * no longer accepts says so first, with "Sign in again".
 */
export function ConnectedPanel({
  connection,
  onMoveToOAuth,
  onReconnect,
}: {
  connection: ConnectionView;
  onMoveToOAuth: () => void;
  onReconnect: () => void;
}) {
  const { user, defaultAgent, apiTokenDeadline, oauth } = connection;
  // The API base only deserves a line when it is not the account's own address (demo mode, a proxy).
  const usesOwnHost = connection.baseUrl.replace(/\/+$/, '') === `https://${connection.host}`;
  return (
    <section data-testid="connected" aria-labelledby="connected-heading">
      <Heading>
        <XL tag="h2" id="connected-heading" isBold>
          {connection.reconnectRequired === null ? 'Connected' : 'Reconnect required'}
        </XL>
        {connection.demo && (
          <Tag hue="kale" isPill>
            Sandbox account
          </Tag>
        )}
      </Heading>
      {connection.reconnectRequired !== null && (
        <Banner type="error" role="alert" data-testid="connected-reconnect-required">
          <Alert.Title>Zendesk no longer accepts the saved sign-in</Alert.Title>
          <Alert.Paragraph>
            {connection.reconnectRequired}. Nothing reaches Zendesk until you sign in again; every setting is kept.
          </Alert.Paragraph>
          <BannerAction>
            <Button size="small" isPrimary data-testid="connected-reconnect" onClick={onReconnect}>
              Sign in again
            </Button>
          </BannerAction>
        </Banner>
      )}
      {connection.reconnectRequired === null && connection.refreshInterrupted && (
        <Banner type="info" role="note">
          <Alert.Title>A token renewal was interrupted</Alert.Title>
          <Alert.Paragraph>
            Zendesk could not be asked yet whether the stored tokens still work; the console checks again at its next
            start.
          </Alert.Paragraph>
        </Banner>
      )}
      {connection.authMethod === 'api_token' && apiTokenDeadline !== null && (
        <Banner type="warning" role="note" data-testid="connected-legacy-banner">
          <Alert.Title>{describeDeadline(apiTokenDeadline)}</Alert.Title>
          <Alert.Paragraph>
            This connection uses an API token, which Zendesk is retiring. Move it to OAuth: the account, the Default
            Agent, the webhook and every other setting stay as they are.
          </Alert.Paragraph>
          <BannerAction>
            <Button size="small" data-testid="connected-move-to-oauth" onClick={onMoveToOAuth}>
              Move to OAuth
            </Button>
          </BannerAction>
        </Banner>
      )}
      <Facts>
        <dt>Account</dt>
        <dd>{connection.host}</dd>
        {!usesOwnHost && (
          <>
            <dt>API address</dt>
            <dd>{connection.baseUrl}</dd>
          </>
        )}
        <dt>User</dt>
        <dd>{describeUser(user)}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Sign-in</dt>
        <dd>{oauth === null ? 'API token (legacy)' : `OAuth, client ${oauth.clientId}`}</dd>
        {oauth !== null && oauth.tokenExpiresAt !== null && (
          <>
            <dt>Token expires</dt>
            <dd data-testid="connected-token-expiry">
              <time dateTime={oauth.tokenExpiresAt}>{formatMoment(oauth.tokenExpiresAt)}</time> (renewed automatically)
            </dd>
          </>
        )}
        {defaultAgent !== null && (
          <>
            <dt>Default agent</dt>
            <dd>{describeUser(defaultAgent)}</dd>
          </>
        )}
        <dt>Connected</dt>
        <dd>
          <time dateTime={connection.connectedAt}>{formatMoment(connection.connectedAt)}</time>
        </dd>
      </Facts>
    </section>
  );
}

/** "Ana Admin (ana@acme.com)", or the name alone for users without an email. */
export function describeUser(user: UserView): string {
  return user.email === null ? user.name : `${user.name} (${user.email})`;
}

/** The moment in the admin's locale and time zone; an unreadable value is shown as received rather than hidden. */
function formatMoment(rfc3339: string): string {
  const moment = new Date(rfc3339);
  return Number.isNaN(moment.getTime())
    ? rfc3339
    : moment.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

const Heading = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  margin-bottom: ${({ theme }) => theme.space.md};

  h2 {
    margin: 0;
  }
`;

const Banner = styled(Alert)`
  margin-bottom: ${({ theme }) => theme.space.md};
`;

const BannerAction = styled.div`
  margin-top: ${({ theme }) => theme.space.sm};
`;

const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${({ theme }) => theme.space.xs} ${({ theme }) => theme.space.lg};
  margin: ${({ theme }) => theme.space.md} 0 0;

  dt {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;

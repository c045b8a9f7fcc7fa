import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Alert } from '@zendeskgarden/react-notifications';
import { Tag } from '@zendeskgarden/react-tags';
import { XL } from '@zendeskgarden/react-typography';
import type { AuthMethod, ConnectionView, UserView } from '../api';
import { describeDeadline } from './deadline';

const AUTH_METHOD_LABELS: Record<AuthMethod, string> = {
  api_token: 'API token (legacy)',
  oauth: 'OAuth',
};

/** The saved connection: account, user, role, how the console signs in, and when it was connected. */
export function ConnectedPanel({ connection }: { connection: ConnectionView }) {
  const { user, defaultAgent, apiTokenDeadline } = connection;
  // The API base only deserves a line when it is not the account's own address (demo mode, a proxy).
  const usesOwnHost = connection.baseUrl.replace(/\/+$/, '') === `https://${connection.host}`;
  return (
    <section data-testid="connected" aria-labelledby="connected-heading">
      <Heading>
        <XL tag="h2" id="connected-heading" isBold>
          Connected
        </XL>
        {connection.demo && (
          <Tag hue="kale" isPill>
            Sandbox account
          </Tag>
        )}
      </Heading>
      {connection.authMethod === 'api_token' && apiTokenDeadline !== null && (
        <Alert type="warning" role="note">
          <Alert.Title>{describeDeadline(apiTokenDeadline)}</Alert.Title>
          <Alert.Paragraph>
            This connection uses an API token. Move it to OAuth when OAuth sign-in arrives in the next release.
          </Alert.Paragraph>
        </Alert>
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
        <dd>{AUTH_METHOD_LABELS[connection.authMethod]}</dd>
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

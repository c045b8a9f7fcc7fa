import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Tag } from '@zendeskgarden/react-tags';
import type { ConnectionState } from '../connection';

/** The bar at the bottom of every screen: which account the console works on, and whether it is the sandbox. */
export function StatusBar({ connection }: { connection: ConnectionState }) {
  return (
    <Bar data-testid="status-bar" role="status" aria-label="Connection status">
      <Account connection={connection} />
    </Bar>
  );
}

function Account({ connection }: { connection: ConnectionState }) {
  switch (connection.state) {
    case 'loading':
      return <span>Reading the saved connection</span>;
    case 'failed':
      return <span>Connection unknown</span>;
    case 'ready': {
      const current = connection.connection;
      if (current === null) {
        return <span>Not connected</span>;
      }
      return (
        <>
          <strong>{current.host}</strong>
          <span>{current.user.email === null ? current.user.name : `${current.user.name} <${current.user.email}>`}</span>
          {current.demo && (
            <Tag hue="kale" size="small" isPill>
              Demo
            </Tag>
          )}
          {current.reconnectRequired !== null && (
            <Tag hue="red" size="small" isPill>
              Reconnect required
            </Tag>
          )}
        </>
      );
    }
  }
}

const Bar = styled.footer`
  grid-area: status;
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  border-top: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  background: ${({ theme }) => getColor({ theme, variable: 'background.subtle' })};
  padding: ${({ theme }) => theme.space.xxs} ${({ theme }) => theme.space.md};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
`;

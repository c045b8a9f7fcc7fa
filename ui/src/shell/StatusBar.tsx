import { useEffect, useRef } from 'react';
import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Tag } from '@zendeskgarden/react-tags';
import { setupChecklist, statusBar, type ChecklistSummary, type RelayStateView, type StatusBarView } from '../api';
import type { ConnectionState } from '../connection';
import { useLive } from '../relay/live';
import { subscribeStatus } from './statusEvents';

/** How often the bar reads the relay's state and the last checklist's counts (the app answers without Zendesk). */
export const STATUS_REFRESH_MS = 3000;

/**
 * The bar at the bottom of every screen: which account the console works on (and whether it is the sandbox), whether
 * the relay runs, and the last checklist's counts. Once connected, it has the checklist read once if nothing has
 * read it yet, so the counts are there before the Setup screen is opened.
 */
export function StatusBar({
  connection,
  refreshEveryMs = STATUS_REFRESH_MS,
}: {
  connection: ConnectionState;
  refreshEveryMs?: number;
}) {
  const { live, refresh } = useLive(statusBar, refreshEveryMs);
  const status = live.state === 'ready' ? live.value : null;
  const host = connection.state === 'ready' ? (connection.connection?.host ?? null) : null;
  const asked = useRef<string | null>(null);

  // A change a screen reports, or another account, is read at once.
  useEffect(() => subscribeStatus(refresh), [refresh]);
  useEffect(() => {
    refresh();
  }, [host, refresh]);

  useEffect(() => {
    if (host === null || status === null || status.checklist !== null || asked.current === host) {
      return;
    }
    asked.current = host;
    setupChecklist().then(refresh, () => undefined);
  }, [host, status, refresh]);

  return (
    <Bar data-testid="status-bar" role="status" aria-label="Console status">
      <Account connection={connection} />
      {host !== null && status !== null && (
        <>
          <Divider aria-hidden="true" />
          <Relay relay={status.relay} />
          <Divider aria-hidden="true" />
          <Checklist status={status} />
        </>
      )}
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

function Relay({ relay }: { relay: RelayStateView }) {
  const [text, hue] =
    relay.state === 'running'
      ? [`Relay running on ${relay.address ?? ''}`, 'green']
      : relay.state === 'failed'
        ? ['Relay not running', 'red']
        : ['Relay stopped', 'grey'];
  return (
    <Item data-testid="status-relay" data-state={relay.state} title={relay.reason ?? undefined}>
      <Dot $hue={hue} aria-hidden="true" />
      {text}
    </Item>
  );
}

function Checklist({ status }: { status: StatusBarView }) {
  const summary = status.checklist;
  if (summary === null) {
    return <Item data-testid="status-checklist">Checklist not checked yet</Item>;
  }
  return (
    <Item
      data-testid="status-checklist"
      data-failing={summary.failing}
      data-warning={summary.warning}
      title={`Last checked ${new Date(summary.refreshedAt).toLocaleTimeString()}`}
    >
      <Dot $hue={summary.failing > 0 ? 'red' : summary.warning > 0 ? 'yellow' : 'green'} aria-hidden="true" />
      {checklistText(summary)}
    </Item>
  );
}

/** "Setup: 15 OK, 1 failing, 2 unknown". */
export function checklistText(summary: ChecklistSummary): string {
  const parts = [`${summary.ok} OK`];
  if (summary.warning > 0) {
    parts.push(`${summary.warning} warning${summary.warning === 1 ? '' : 's'}`);
  }
  if (summary.failing > 0) {
    parts.push(`${summary.failing} failing`);
  }
  if (summary.unknown > 0) {
    parts.push(`${summary.unknown} unknown`);
  }
  return `Setup: ${parts.join(', ')}`;
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

const Divider = styled.span`
  align-self: stretch;
  border-left: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
`;

const Item = styled.span`
  display: inline-flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Dot = styled.span<{ $hue: string }>`
  display: inline-block;
  border-radius: 50%;
  width: 8px;
  height: 8px;
  background: ${({ theme, $hue }) => getColor({ theme, hue: $hue, shade: 700 })};
`;

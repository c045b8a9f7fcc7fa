import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Table } from '@zendeskgarden/react-tables';
import type { SessionLine } from '../api';
import { channelName, contactName, contactReach, lastChanged } from './format';
import { HandoffState, RepActive, TicketLink } from './parts';

/**
 * The sessions, newest first: contact (a link that opens the transcript) with the channel and how to reach them,
 * handoff state, ticket and when it last changed. The selected session's row is highlighted; clicking anywhere on a
 * row selects it too.
 */
export function SessionsTable({
  sessions,
  selected,
  onSelect,
  onOpenTicket,
}: {
  sessions: SessionLine[];
  selected: string | null;
  onSelect: (id: string) => void;
  onOpenTicket: (id: string) => void;
}) {
  return (
    <Table data-testid="sessions-list" aria-label="Sessions">
      <Table.Head>
        <Table.HeaderRow>
          <Table.HeaderCell>Customer</Table.HeaderCell>
          <Table.HeaderCell width="120px">Handoff</Table.HeaderCell>
          <Table.HeaderCell width="72px">Ticket</Table.HeaderCell>
          <Table.HeaderCell width="96px">Updated</Table.HeaderCell>
        </Table.HeaderRow>
      </Table.Head>
      <Table.Body>
        {sessions.map((session) => {
          const name = contactName(session.contact);
          const reach = contactReach(session.contact);
          return (
            <Row
              key={session.id}
              data-testid="session-row"
              data-session-id={session.id}
              isSelected={session.id === selected}
              aria-selected={session.id === selected}
              onClick={() => {
                onSelect(session.id);
              }}
            >
              <Table.Cell>
                <Button
                  isLink
                  data-testid="session-open"
                  aria-label={`Open the transcript of ${name}`}
                  onClick={(event) => {
                    event.stopPropagation();
                    onSelect(session.id);
                  }}
                >
                  {name}
                </Button>
                <Secondary title={reach ?? undefined}>
                  {[channelName(session.channel), reach].filter((part) => part !== null).join(' · ')}
                </Secondary>
                {session.humanActive && (
                  <Badge>
                    <RepActive />
                  </Badge>
                )}
              </Table.Cell>
              <Table.Cell>
                <HandoffState handoff={session.handoff} />
              </Table.Cell>
              <Table.Cell>
                {session.ticketId === null ? (
                  <NoTicket aria-label="No ticket yet">—</NoTicket>
                ) : (
                  <TicketLink
                    ticketId={session.ticketId}
                    onOpen={() => {
                      onOpenTicket(session.id);
                    }}
                  />
                )}
              </Table.Cell>
              <Table.Cell>
                <Updated dateTime={session.updatedAt}>{lastChanged(session.updatedAt)}</Updated>
              </Table.Cell>
            </Row>
          );
        })}
      </Table.Body>
    </Table>
  );
}

const Row = styled(Table.Row)`
  cursor: pointer;

  td {
    vertical-align: top;
  }
`;

// One line, cut with an ellipsis: a long email must not stretch the row. A block, not a flex box, so WebDriver
// still reads it (see ui/README.md).
const Secondary = styled.div`
  overflow: hidden;
  text-overflow: ellipsis;
  white-space: nowrap;
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Updated = styled.time`
  white-space: nowrap;
`;

const NoTicket = styled.span`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Badge = styled.div`
  margin-top: ${({ theme }) => theme.space.xxs};
`;

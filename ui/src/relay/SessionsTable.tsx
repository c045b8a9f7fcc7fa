import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Table } from '@zendeskgarden/react-tables';
import type { SessionLine } from '../api';
import { channelName, contactName, contactReach, lastChanged } from './format';
import { HandoffState, RepActive, TicketLink } from './parts';

/**
 * The sessions, newest first: contact (a link that opens the transcript), channel, handoff state, ticket and when
 * it last changed. The selected session's row is highlighted; clicking anywhere on a row selects it too.
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
          <Table.HeaderCell width="88px">Channel</Table.HeaderCell>
          <Table.HeaderCell>Handoff</Table.HeaderCell>
          <Table.HeaderCell width="84px">Ticket</Table.HeaderCell>
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
                {reach !== null && <Secondary>{reach}</Secondary>}
                {session.humanActive && (
                  <Badge>
                    <RepActive />
                  </Badge>
                )}
              </Table.Cell>
              <Table.Cell>{channelName(session.channel)}</Table.Cell>
              <Table.Cell>
                <HandoffState handoff={session.handoff} />
              </Table.Cell>
              <Table.Cell>
                {session.ticketId === null ? (
                  <Secondary aria-label="No ticket yet">—</Secondary>
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
                <time dateTime={session.updatedAt}>{lastChanged(session.updatedAt)}</time>
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

const Secondary = styled.div`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  overflow-wrap: anywhere;
`;

const Badge = styled.div`
  margin-top: ${({ theme }) => theme.space.xxs};
`;

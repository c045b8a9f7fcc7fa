import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Table } from '@zendeskgarden/react-tables';
import { Tag } from '@zendeskgarden/react-tags';
import { MD } from '@zendeskgarden/react-typography';
import type { DeliveryView } from '../api';
import { lastChanged } from './format';

/** The verdict as a tag: accepted (signed or not), a repeat Zendesk sent again, or refused. */
function Verdict({ delivery }: { delivery: DeliveryView }) {
  if (delivery.verdict === 'rejected') {
    return (
      <Tag hue="red" size="small">
        Refused
      </Tag>
    );
  }
  return (
    <Tags>
      <Tag hue="green" size="small">
        {delivery.signed ? 'Verified' : 'Accepted'}
      </Tag>
      {delivery.duplicates > 0 && (
        <Tag hue="grey" size="small" title="Zendesk sent the same invocation again; it was handled once">
          +{delivery.duplicates} repeat{delivery.duplicates === 1 ? '' : 's'}
        </Tag>
      )}
    </Tags>
  );
}

const STATE_TEXT: Record<string, string> = {
  queued: 'Waiting to be handled',
  done: 'Handled',
  failed: 'Failed',
  not_ours: 'Not a handoff ticket',
  unreadable: 'Unreadable body, kept',
};

/** What became of a delivery: the outcome sentence, else why it was refused, else where it stands. */
function outcomeOf(delivery: DeliveryView): string {
  if (delivery.verdict === 'rejected') {
    return delivery.reason ?? 'Refused';
  }
  return delivery.outcome ?? STATE_TEXT[delivery.state] ?? delivery.state;
}

/**
 * The deliveries Zendesk made to the relay, newest first (read again every second or two while shown): time, verdict
 * (or why it was refused), ticket, and what became of it.
 */
export function Deliveries({ deliveries }: { deliveries: DeliveryView[] }) {
  return (
    <section aria-labelledby="deliveries-heading">
      <MD tag="h3" id="deliveries-heading" isBold>
        Deliveries
      </MD>
      {deliveries.length === 0 ? (
        <Empty data-testid="deliveries-empty">
          No deliveries yet. Zendesk posts here once setup is done, the relay runs and a rep replies publicly on a
          handoff ticket.
        </Empty>
      ) : (
        <Table data-testid="deliveries" aria-label="Deliveries" size="small">
          <Table.Head>
            <Table.HeaderRow>
              <Table.HeaderCell width="110px">Time</Table.HeaderCell>
              <Table.HeaderCell width="150px">Verdict</Table.HeaderCell>
              <Table.HeaderCell width="80px">Ticket</Table.HeaderCell>
              <Table.HeaderCell>Outcome</Table.HeaderCell>
            </Table.HeaderRow>
          </Table.Head>
          <Table.Body>
            {deliveries.map((delivery) => (
              <Table.Row
                key={delivery.id}
                data-testid="delivery-row"
                data-delivery-id={delivery.id}
                data-verdict={delivery.verdict}
                data-state={delivery.state}
              >
                <Table.Cell>
                  <time dateTime={delivery.receivedAt}>{lastChanged(delivery.receivedAt)}</time>
                </Table.Cell>
                <Table.Cell>
                  <Verdict delivery={delivery} />
                </Table.Cell>
                <Table.Cell data-testid="delivery-ticket">
                  {delivery.ticketId === null ? '–' : `#${delivery.ticketId}`}
                </Table.Cell>
                <Table.Cell data-testid="delivery-outcome">
                  <Outcome $refused={delivery.verdict === 'rejected' || delivery.state === 'failed'}>
                    {outcomeOf(delivery)}
                  </Outcome>
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table>
      )}
    </section>
  );
}

const Tags = styled.span`
  display: inline-flex;
  flex-wrap: wrap;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Outcome = styled.span<{ $refused: boolean }>`
  color: ${({ theme, $refused }) =>
    getColor({ theme, variable: $refused ? 'foreground.danger' : 'foreground.default' })};
`;

const Empty = styled.p`
  margin: ${({ theme }) => theme.space.xs} 0 0;
  border: ${({ theme }) => theme.borderWidths.sm} dashed ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
  text-align: center;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

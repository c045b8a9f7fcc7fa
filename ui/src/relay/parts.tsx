import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Button } from '@zendeskgarden/react-buttons';
import { Tag } from '@zendeskgarden/react-tags';
import type { HandoffView } from '../api';
import { VisuallyHidden } from '../shell/VisuallyHidden';

const HANDOFF_TAGS: Record<HandoffView['state'], { label: string; hue: string }> = {
  none: { label: 'Not handed off', hue: 'grey' },
  pending: { label: 'Pending', hue: 'yellow' },
  done: { label: 'Handed off', hue: 'green' },
  failed: { label: 'Failed', hue: 'red' },
};

/** The handoff state as a tag, with its reason under it when it is pending or failed. */
export function HandoffState({ handoff }: { handoff: HandoffView }) {
  const { label, hue } = HANDOFF_TAGS[handoff.state];
  return (
    <State data-testid="session-state" data-state={handoff.state}>
      <Tag hue={hue} size="small">
        {label}
      </Tag>
      {handoff.reason !== null && <Reason data-testid="session-state-reason">{handoff.reason}</Reason>}
    </State>
  );
}

/** "Rep active": a rep replied in Zendesk and owns the conversation, so the AI stays quiet. */
export function RepActive() {
  return (
    <Tag
      hue="blue"
      size="small"
      data-testid="session-rep-active"
      title="A rep replied in Zendesk; the AI no longer answers"
    >
      Rep active
    </Tag>
  );
}

/**
 * The ticket number as a link. It asks the app to open the ticket in the system browser (the window never opens
 * pages itself), so it is a button that looks like a link, marked as leaving the app.
 */
export function TicketLink({ ticketId, onOpen }: { ticketId: number; onOpen: () => void }) {
  return (
    <Button
      isLink
      data-testid="session-ticket"
      title={`Open ticket #${ticketId} in Zendesk`}
      onClick={(event) => {
        event.stopPropagation();
        onOpen();
      }}
    >
      #{ticketId}
      <ExternalIcon />
      <VisuallyHidden> (opens Zendesk in your browser)</VisuallyHidden>
    </Button>
  );
}

/** Garden's "new window" glyph (12 px), inline: the console loads no icon files. */
function ExternalIcon() {
  return (
    <Glyph
      xmlns="http://www.w3.org/2000/svg"
      width="12"
      height="12"
      viewBox="0 0 12 12"
      aria-hidden="true"
      focusable="false"
    >
      <path
        fill="none"
        stroke="currentColor"
        strokeLinecap="round"
        d="M10.5 8.5V10c0 .3-.2.5-.5.5H2c-.3 0-.5-.2-.5-.5V2c0-.3.2-.5.5-.5h1.5M6 6l4-4m-3.5-.5H10c.3 0 .5.2.5.5v3.5"
      />
    </Glyph>
  );
}

const State = styled.div`
  display: flex;
  flex-direction: column;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.xxs};
`;

const Reason = styled.span`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Glyph = styled.svg`
  margin-left: ${({ theme }) => theme.space.xxs};
  vertical-align: -1px;
`;


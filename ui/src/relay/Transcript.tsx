import styled, { css } from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Tag } from '@zendeskgarden/react-tags';
import { LG, Paragraph } from '@zendeskgarden/react-typography';
import type { SessionDetail, TurnView } from '../api';
import { channelName, clockTime, contactName, contactReach } from './format';
import { HandoffState, RepActive, TicketLink } from './parts';

const MODE_NAMES: Record<SessionDetail['mode'], string> = {
  autopilot: 'Autopilot (the AI answers alone)',
  assist: 'Assist (the AI drafts for reps)',
  handoff: 'Handoff (reps take over)',
};

/**
 * A session's transcript: who it is with and where its handoff stands, each turn with who wrote it and when, then
 * what the handoff carried (mode, summary, sentiment, language).
 * Customer turns sit on the left; the AI's and the reps' on the right, and a rep's reply (from Zendesk) is set apart
 * by its colour, its border and its label, so it is never mistaken for the AI.
 */
export function Transcript({ session, onOpenTicket }: { session: SessionDetail; onOpenTicket: () => void }) {
  const name = contactName(session.contact);
  const reach = contactReach(session.contact);
  return (
    <Panel data-testid="transcript" data-session-id={session.id} aria-labelledby="transcript-heading">
      <Header>
        <div>
          <LG tag="h3" id="transcript-heading" isBold>
            {name}
          </LG>
          <Meta>{[reach, channelName(session.channel)].filter((part) => part !== null).join(' · ')}</Meta>
        </div>
        <HeaderSide>
          {session.humanActive && <RepActive />}
          {session.ticketId !== null && <TicketLink ticketId={session.ticketId} onOpen={onOpenTicket} />}
        </HeaderSide>
      </Header>
      <HandoffState handoff={session.handoff} />
      {session.turns.length === 0 ? (
        <Paragraph>No messages yet.</Paragraph>
      ) : (
        <Turns aria-label="Transcript">
          {session.turns.map((turn) => (
            <Turn key={turn.seq} turn={turn} customer={name} />
          ))}
        </Turns>
      )}
      <Facts aria-label="Handoff details">
        <dt>Mode</dt>
        <dd>{MODE_NAMES[session.mode]}</dd>
        {session.summary !== null && (
          <>
            <dt>Summary</dt>
            <dd>{session.summary}</dd>
          </>
        )}
        {session.sentiment !== null && (
          <>
            <dt>Sentiment</dt>
            <dd>{session.sentiment}</dd>
          </>
        )}
        {session.language !== null && (
          <>
            <dt>Language</dt>
            <dd>{session.language}</dd>
          </>
        )}
      </Facts>
    </Panel>
  );
}

function Turn({ turn, customer }: { turn: TurnView; customer: string }) {
  return (
    <Bubble data-testid="transcript-turn" data-role={turn.role} $role={turn.role}>
      <TurnHead>
        <Author>{turn.role === 'customer' ? customer : turn.role === 'ai' ? 'AI agent' : 'Rep in Zendesk'}</Author>
        {turn.role === 'agent' && (
          <Tag hue="kale" size="small">
            Agent reply
          </Tag>
        )}
        <time dateTime={turn.at}>{clockTime(turn.at)}</time>
      </TurnHead>
      <Text>{turn.text}</Text>
    </Bubble>
  );
}

const Panel = styled.section`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};
  border: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.default' })};
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.md};
  background: ${({ theme }) => getColor({ theme, variable: 'background.raised' })};
`;

const Header = styled.div`
  display: flex;
  justify-content: space-between;
  align-items: flex-start;
  gap: ${({ theme }) => theme.space.sm};

  h3 {
    margin: 0;
  }
`;

const HeaderSide = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.sm};
  white-space: nowrap;
`;

const Meta = styled.div`
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  overflow-wrap: anywhere;
`;

const Facts = styled.dl`
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: ${({ theme }) => theme.space.xxs} ${({ theme }) => theme.space.md};
  margin: ${({ theme }) => theme.space.xs} 0 0;
  border-top: ${({ theme }) => theme.borders.sm} ${({ theme }) => getColor({ theme, variable: 'border.subtle' })};
  padding-top: ${({ theme }) => theme.space.sm};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  line-height: ${({ theme }) => theme.lineHeights.sm};

  dt {
    color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
  }

  dd {
    margin: 0;
  }
`;

const Turns = styled.ol`
  display: flex;
  flex-direction: column;
  gap: ${({ theme }) => theme.space.sm};
  margin: 0;
  padding: 0;
  list-style: none;
`;

const Bubble = styled.li<{ $role: TurnView['role'] }>`
  max-width: 85%;
  border-radius: ${({ theme }) => theme.borderRadii.md};
  padding: ${({ theme }) => theme.space.xs} ${({ theme }) => theme.space.sm};
  ${({ theme, $role }) => {
    switch ($role) {
      case 'customer':
        return css`
          align-self: flex-start;
          background: ${getColor({ theme, variable: 'background.subtle' })};
          border: ${theme.borders.sm} ${getColor({ theme, variable: 'border.subtle' })};
        `;
      case 'ai':
        return css`
          align-self: flex-end;
          background: ${getColor({ theme, hue: 'blue', shade: 100 })};
          border: ${theme.borders.sm} ${getColor({ theme, hue: 'blue', shade: 200 })};
        `;
      case 'agent':
        return css`
          align-self: flex-end;
          background: ${getColor({ theme, hue: 'kale', shade: 100 })};
          border: ${theme.borders.sm} ${getColor({ theme, hue: 'kale', shade: 300 })};
          border-left: ${theme.borderWidths.md} solid ${getColor({ theme, hue: 'kale', shade: 700 })};
        `;
    }
  }}
`;

const TurnHead = styled.div`
  display: flex;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};
  margin-bottom: ${({ theme }) => theme.space.xxs};
  font-size: ${({ theme }) => theme.fontSizes.sm};
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.subtle' })};
`;

const Author = styled.strong`
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
  font-weight: ${({ theme }) => theme.fontWeights.semibold};
`;

const Text = styled.p`
  margin: 0;
  white-space: pre-wrap;
  overflow-wrap: anywhere;
`;

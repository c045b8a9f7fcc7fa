import { useEffect, useState } from 'react';
import { Field } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import { CommandError, findAgent, type AgentView } from '../api';

/** How long typing must pause before the agent is looked up: each lookup is a Zendesk API call. */
export const AGENT_LOOKUP_DEBOUNCE_MS = 400;

/** An agent ID's lookup as it is typed. */
export type AgentLookup =
  | { state: 'none' }
  | { state: 'looking' }
  | { state: 'found'; agent: AgentView }
  | { state: 'failed'; message: string };

/** The agent's name as the ID is typed (debounced; an answer for an ID no longer typed is dropped), or why none. */
export function useAgentLookup(agentId: string): AgentLookup {
  const [lookup, setLookup] = useState<AgentLookup>({ state: 'none' });
  useEffect(() => {
    const id = agentId.trim();
    if (!/^\d+$/.test(id)) {
      setLookup({ state: 'none' });
      return undefined;
    }
    let current = true;
    setLookup({ state: 'looking' });
    const timer = setTimeout(() => {
      findAgent(id).then(
        (agent) => {
          if (current) setLookup({ state: 'found', agent });
        },
        (raw: unknown) => {
          if (current) setLookup({ state: 'failed', message: CommandError.from(raw).message });
        },
      );
    }, AGENT_LOOKUP_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [agentId]);
  return lookup;
}

/**
 * What the lookup found, under the ID field: the name and role, or why this agent will not do for the field's
 * purpose (`refusal`: not assignable, cannot reply), or why the lookup failed. `testId` marks the answer.
 */
export function AgentLookupMessage({
  lookup,
  refusal,
  testId,
}: {
  lookup: AgentLookup;
  refusal: (agent: AgentView) => string | null;
  testId: string;
}) {
  switch (lookup.state) {
    case 'none':
      return null;
    case 'looking':
      return (
        <Field.Message role="status">
          Looking up the agent <Dots delayMS={0} />
        </Field.Message>
      );
    case 'found': {
      const refused = refusal(lookup.agent);
      return refused === null ? (
        <Field.Message validation="success" role="status" data-testid={testId}>
          {lookup.agent.user.name} ({lookup.agent.user.role})
        </Field.Message>
      ) : (
        <Field.Message validation="warning" data-testid={testId}>
          {refused}
        </Field.Message>
      );
    }
    case 'failed':
      return (
        <Field.Message validation="error" data-testid={testId}>
          {lookup.message}
        </Field.Message>
      );
  }
}

import { useEffect, useState } from 'react';
import { Field } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import { CommandError, findAgent, type AgentView } from '../api';

/** How long typing must pause before the agent is looked up: each lookup is a Zendesk API call. */
export const AGENT_LOOKUP_DEBOUNCE_MS = 400;

/** A lookup as its key is typed: none, under way, what was found, or why it failed. */
export type Lookup<T> =
  | { state: 'none' }
  | { state: 'looking' }
  | { state: 'found'; agent: T }
  | { state: 'failed'; message: string };

/** An agent ID's lookup as it is typed. */
export type AgentLookup = Lookup<AgentView>;

/**
 * Looks `key` up with `find` once typing pauses (an answer for a key no longer current is dropped); none while
 * `key` is null. `find` must be stable (a module function): a new one starts no lookup.
 */
export function useDebouncedLookup<K, T>(key: K | null, find: (key: K) => Promise<T>): Lookup<T> {
  const [lookup, setLookup] = useState<Lookup<T>>({ state: 'none' });
  useEffect(() => {
    if (key === null) {
      setLookup({ state: 'none' });
      return undefined;
    }
    let current = true;
    setLookup({ state: 'looking' });
    const timer = setTimeout(() => {
      find(key).then(
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
  }, [key, find]);
  return lookup;
}

/** The agent's name as the ID is typed (debounced; an answer for an ID no longer typed is dropped), or why none. */
export function useAgentLookup(agentId: string): AgentLookup {
  const id = agentId.trim();
  return useDebouncedLookup(/^\d+$/.test(id) ? id : null, findAgent);
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

import styled from 'styled-components';
import { getColor } from '@zendeskgarden/react-theming';
import { Field, Fieldset, Input, Radio } from '@zendeskgarden/react-forms';
import type { UserView } from '../api';
import { AgentLookupMessage, useAgentLookup, type AgentLookup } from '../shell/agentLookup';

export { AGENT_LOOKUP_DEBOUNCE_MS as REP_LOOKUP_DEBOUNCE_MS } from '../shell/agentLookup';

/** Who replies during the verification, as the picker holds it (the ID as typed). */
export interface RepPick {
  kind: 'auto' | 'agent' | 'manual';
  agentId: string;
}

/**
 * The rep who replies in Zendesk: the default agent (else the first active full agent), a specific agent by ID with
 * the name looked up as it is typed, or the admin themselves ("Wait for my own reply").
 */
export function RepPicker({
  pick,
  defaultAgent,
  disabled,
  error,
  onChange,
}: {
  pick: RepPick;
  defaultAgent: UserView | null;
  disabled: boolean;
  /** Why the pick cannot be used, shown under the ID. */
  error: string | null;
  onChange: (pick: RepPick) => void;
}) {
  const lookup = useAgentLookup(pick.kind === 'agent' ? pick.agentId : '');
  const choose = (kind: RepPick['kind']) => {
    onChange({ ...pick, kind });
  };
  return (
    <Picker>
      <Fieldset>
        <Fieldset.Legend>Who replies in Zendesk</Fieldset.Legend>
        <Field>
          <Radio
            name="verify-rep"
            value="auto"
            data-testid="verify-rep-auto"
            checked={pick.kind === 'auto'}
            disabled={disabled}
            onChange={() => {
              choose('auto');
            }}
          >
            <Field.Label>
              {defaultAgent === null
                ? 'The first active full agent (no default agent is set)'
                : `The default agent, ${defaultAgent.name}`}
            </Field.Label>
          </Radio>
        </Field>
        <Field>
          <Radio
            name="verify-rep"
            value="agent"
            data-testid="verify-rep-agent"
            checked={pick.kind === 'agent'}
            disabled={disabled}
            onChange={() => {
              choose('agent');
            }}
          >
            <Field.Label>A specific agent</Field.Label>
          </Radio>
        </Field>
        {pick.kind === 'agent' && (
          <AgentId>
            <Field>
              <Field.Label>Agent ID</Field.Label>
              <Field.Hint>The number at the end of the agent&apos;s page in Admin Center &gt; People &gt; Team members.</Field.Hint>
              <Input
                data-testid="verify-rep-id"
                value={pick.agentId}
                inputMode="numeric"
                autoComplete="off"
                isCompact
                disabled={disabled}
                validation={error !== null || lookup.state === 'failed' ? 'error' : undefined}
                onChange={(event) => {
                  onChange({ ...pick, agentId: event.target.value });
                }}
              />
              <LookupMessage lookup={lookup} error={error} />
            </Field>
          </AgentId>
        )}
        <Field>
          <Radio
            name="verify-rep"
            value="manual"
            data-testid="verify-rep-manual"
            checked={pick.kind === 'manual'}
            disabled={disabled}
            onChange={() => {
              choose('manual');
            }}
          >
            <Field.Label>Wait for my own reply</Field.Label>
            <Field.Hint>
              The console hands a test conversation off, then waits up to 10 minutes for you to reply publicly to its
              ticket in Zendesk, as the setup guide describes.
            </Field.Hint>
          </Radio>
        </Field>
      </Fieldset>
    </Picker>
  );
}

function LookupMessage({ lookup, error }: { lookup: AgentLookup; error: string | null }) {
  if (error !== null) {
    return (
      <Field.Message validation="error" data-testid="verify-rep-name">
        {error}
      </Field.Message>
    );
  }
  return (
    <AgentLookupMessage lookup={lookup} refusal={(agent) => agent.cannotReply} testId="verify-rep-name" />
  );
}

const Picker = styled.div`
  margin-bottom: ${({ theme }) => theme.space.md};

  legend {
    margin-bottom: ${({ theme }) => theme.space.xs};
    font-weight: ${({ theme }) => theme.fontWeights.semibold};
  }
`;

const AgentId = styled.div`
  margin: 0 0 ${({ theme }) => theme.space.sm} ${({ theme }) => theme.space.lg};
  max-width: 360px;
  color: ${({ theme }) => getColor({ theme, variable: 'foreground.default' })};
`;

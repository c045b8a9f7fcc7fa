import { useState, type FormEvent } from 'react';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { CommandError, setDefaultAgent, type UserView } from '../api';
import { AgentLookupMessage, useAgentLookup } from '../shell/agentLookup';
import { Row } from './SettingField';

export { AGENT_LOOKUP_DEBOUNCE_MS } from '../shell/agentLookup';

/**
 * The default agent new tickets are assigned to: the one set now, an ID field whose name is looked up as it is typed
 * (with why Zendesk would not assign tickets to that user), Save (the app looks it up again and refuses an agent
 * Zendesk cannot assign), and Clear (tickets stay unassigned).
 */
export function DefaultAgent({ current, onChanged }: { current: UserView | null; onChanged: () => void }) {
  const [value, setValue] = useState('');
  const [message, setMessage] = useState<{ kind: 'error' | 'saved'; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  const lookup = useAgentLookup(value);

  async function apply(agentId: string) {
    if (saving) {
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      const set = await setDefaultAgent(agentId);
      setValue('');
      setMessage({
        kind: 'saved',
        text: set === null ? 'Cleared: new tickets stay unassigned.' : `Saved: new tickets go to ${set.name}.`,
      });
      onChanged();
    } catch (raw) {
      setMessage({ kind: 'error', text: CommandError.from(raw).message });
    } finally {
      setSaving(false);
    }
  }

  function save(event: FormEvent) {
    event.preventDefault();
    const id = value.trim();
    if (!/^\d+$/.test(id)) {
      setMessage({
        kind: 'error',
        text: 'Enter the agent\u2019s ID, digits only: the number at the end of their page in Admin Center > People > Team members.',
      });
      return;
    }
    void apply(id);
  }

  return (
    <form onSubmit={save} aria-label="Default agent">
      <Field>
        <Field.Label>Default agent</Field.Label>
        <Field.Hint data-testid="settings-default-agent">
          {current === null
            ? 'None: new tickets stay unassigned.'
            : `New tickets are assigned to ${current.name}${current.email === null ? '' : ` (${current.email})`}, #${current.id}.`}
        </Field.Hint>
        <Row>
          <Input
            data-testid="settings-default-agent-id"
            value={value}
            inputMode="numeric"
            placeholder="Agent ID, such as 6130907993114"
            autoComplete="off"
            validation={message?.kind === 'error' || lookup.state === 'failed' ? 'error' : undefined}
            onChange={(event) => {
              setValue(event.target.value);
              setMessage(null);
            }}
          />
          <Button type="submit" data-testid="settings-default-agent-save" aria-disabled={saving || value.trim() === ''}>
            Save
          </Button>
          {current !== null && (
            <Button
              isBasic
              data-testid="settings-default-agent-clear"
              aria-disabled={saving}
              onClick={() => void apply('')}
            >
              Clear
            </Button>
          )}
        </Row>
        {message !== null ? (
          <Field.Message
            validation={message.kind === 'error' ? 'error' : 'success'}
            role={message.kind === 'error' ? 'alert' : 'status'}
            data-testid="settings-default-agent-message"
          >
            {message.text}
          </Field.Message>
        ) : (
          <AgentLookupMessage
            lookup={lookup}
            refusal={(agent) => agent.notAssignable}
            testId="settings-default-agent-name"
          />
        )}
      </Field>
    </form>
  );
}

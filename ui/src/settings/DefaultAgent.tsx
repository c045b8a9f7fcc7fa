import { useEffect, useState, type FormEvent } from 'react';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { Dots } from '@zendeskgarden/react-loaders';
import { CommandError, findAgent, setDefaultAgent, type AgentView, type UserView } from '../api';
import { Row } from './SettingField';

/** How long typing must pause before the agent is looked up: each lookup is a Zendesk API call. */
export const AGENT_LOOKUP_DEBOUNCE_MS = 400;

type Lookup =
  | { state: 'none' }
  | { state: 'looking' }
  | { state: 'found'; agent: AgentView }
  | { state: 'failed'; message: string };

/**
 * The default agent new tickets are assigned to: the one set now, an ID field whose name is looked up as it is typed
 * (with why Zendesk would not assign tickets to that user), Save (the app looks it up again and refuses an agent
 * Zendesk cannot assign), and Clear (tickets stay unassigned).
 */
export function DefaultAgent({ current, onChanged }: { current: UserView | null; onChanged: () => void }) {
  const [value, setValue] = useState('');
  const [lookup, setLookup] = useState<Lookup>({ state: 'none' });
  const [message, setMessage] = useState<{ kind: 'error' | 'saved'; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    const id = value.trim();
    if (!/^\d+$/.test(id)) {
      setLookup({ state: 'none' });
      return undefined;
    }
    let live = true;
    setLookup({ state: 'looking' });
    const timer = setTimeout(() => {
      findAgent(id).then(
        (agent) => {
          if (live) setLookup({ state: 'found', agent });
        },
        (raw: unknown) => {
          if (live) setLookup({ state: 'failed', message: CommandError.from(raw).message });
        },
      );
    }, AGENT_LOOKUP_DEBOUNCE_MS);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [value]);

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
          <LookupMessage lookup={lookup} />
        )}
      </Field>
    </form>
  );
}

function LookupMessage({ lookup }: { lookup: Lookup }) {
  switch (lookup.state) {
    case 'none':
      return null;
    case 'looking':
      return (
        <Field.Message role="status">
          Looking up the agent <Dots delayMS={0} />
        </Field.Message>
      );
    case 'found':
      return lookup.agent.notAssignable === null ? (
        <Field.Message validation="success" role="status" data-testid="settings-default-agent-name">
          {lookup.agent.user.name} ({lookup.agent.user.role})
        </Field.Message>
      ) : (
        <Field.Message validation="warning" data-testid="settings-default-agent-name">
          {lookup.agent.notAssignable}
        </Field.Message>
      );
    case 'failed':
      return (
        <Field.Message validation="error" data-testid="settings-default-agent-name">
          {lookup.message}
        </Field.Message>
      );
  }
}

import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import styled from 'styled-components';
import { Button } from '@zendeskgarden/react-buttons';
import { Field, Input } from '@zendeskgarden/react-forms';
import { CommandError } from '../api';

/**
 * One text setting: its label and hint, the value as stored, and Save once it changed. `check` refuses what cannot
 * be right before anything is sent (the app checks again and says why it refuses); `onSave` resolves with the value
 * as stored, which the field then shows. Test ids: `{testId}`, `{testId}-save`, `{testId}-message`.
 */
export function SettingField({
  testId,
  label,
  hint,
  stored,
  placeholder,
  check,
  onSave,
  extra,
}: {
  testId: string;
  label: string;
  hint: ReactNode;
  stored: string;
  placeholder?: string;
  check: (value: string) => string | null;
  onSave: (value: string) => Promise<string>;
  /** More buttons beside Save (such as going back to the default). */
  extra?: ReactNode;
}) {
  const [value, setValue] = useState(stored);
  const [message, setMessage] = useState<{ kind: 'error' | 'saved'; text: string } | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    setValue(stored);
  }, [stored]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (saving || value.trim() === stored.trim()) {
      return;
    }
    const refused = check(value.trim());
    if (refused !== null) {
      setMessage({ kind: 'error', text: refused });
      return;
    }
    setSaving(true);
    setMessage(null);
    try {
      const kept = await onSave(value.trim());
      setValue(kept);
      setMessage({ kind: 'saved', text: 'Saved.' });
    } catch (raw) {
      setMessage({ kind: 'error', text: CommandError.from(raw).message });
    } finally {
      setSaving(false);
    }
  }

  return (
    <form onSubmit={(event) => void save(event)} aria-label={label}>
      <Field>
        <Field.Label>{label}</Field.Label>
        <Field.Hint>{hint}</Field.Hint>
        <Row>
          <Input
            data-testid={testId}
            value={value}
            placeholder={placeholder}
            autoComplete="off"
            spellCheck={false}
            validation={message?.kind === 'error' ? 'error' : undefined}
            onChange={(event) => {
              setValue(event.target.value);
              setMessage(null);
            }}
          />
          <Button
            type="submit"
            data-testid={`${testId}-save`}
            aria-disabled={saving || value.trim() === stored.trim()}
          >
            Save
          </Button>
          {extra}
        </Row>
        {message !== null && (
          <Field.Message
            validation={message.kind === 'error' ? 'error' : 'success'}
            role={message.kind === 'error' ? 'alert' : 'status'}
            data-testid={`${testId}-message`}
          >
            {message.text}
          </Field.Message>
        )}
      </Field>
    </form>
  );
}

/** Refuses what is not an http(s) address, in words; empty is `allowEmpty`'s call. */
export function checkUrl(allowEmpty: boolean) {
  return (value: string): string | null => {
    if (value === '') {
      return allowEmpty ? null : 'Enter an address, such as https://relay.example.com.';
    }
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return `${value} is not an address: write it whole, such as https://relay.example.com.`;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      return `${value} is not an http(s) address: use one such as https://relay.example.com.`;
    }
    if (url.search !== '' || url.hash !== '') {
      return `${value} has a query or fragment: give the base address only.`;
    }
    return null;
  };
}

export const Row = styled.div`
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: ${({ theme }) => theme.space.xs};

  input {
    flex: 1;
    min-width: 240px;
    max-width: 480px;
  }
`;

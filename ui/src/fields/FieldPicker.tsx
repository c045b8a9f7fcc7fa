import { useMemo, useState } from 'react';
import styled from 'styled-components';
import { Combobox, Field, Option } from '@zendeskgarden/react-dropdowns';
import type { FieldView } from '../api';
import { buildIndex, filterFields, typeLabel } from './fieldSearch';

/** At most this many options are rendered; typing narrows the rest. */
export const SHOWN_OPTIONS = 50;

/**
 * The searchable field picker (a Garden combobox): type part of a field's name, move with the arrow keys, Enter picks.
 * Each option shows the field's type and option count; fields the AI cannot fill are listed disabled with why.
 * The filter's own time for the last keystroke is on `data-filter-ms` (measured with `performance.now()`).
 */
export function FieldPicker({
  fields,
  selected,
  onSelect,
}: {
  fields: readonly FieldView[];
  selected: number | null;
  onSelect: (fieldId: number) => void;
}) {
  const index = useMemo(() => buildIndex(fields), [fields]);
  const [query, setQuery] = useState('');
  const { matches, total, ms } = useMemo(() => {
    const started = performance.now();
    const result = filterFields(index, query, SHOWN_OPTIONS);
    return { ...result, ms: performance.now() - started };
  }, [index, query]);

  return (
    <Field>
      <Field.Label>Zendesk field</Field.Label>
      <Field.Hint>
        Type part of the field&apos;s name. Drop-downs and text fields can be filled; other types say why not.
      </Field.Hint>
      <Timing data-testid="fields-picker" data-filter-ms={ms.toFixed(3)} data-matches={total} data-query={query}>
        <Combobox
          isAutocomplete
          inputValue={query}
          selectionValue={selected === null ? null : String(selected)}
          placeholder="Search the account's fields"
          listboxMaxHeight="320px"
          listboxAriaLabel="Ticket fields"
          inputProps={{ 'data-testid': 'fields-picker-input' } as React.InputHTMLAttributes<HTMLInputElement>}
          onChange={(changes) => {
            if (changes.inputValue !== undefined) {
              setQuery(changes.inputValue);
            }
            if (typeof changes.selectionValue === 'string' && /^\d+$/.test(changes.selectionValue)) {
              onSelect(Number(changes.selectionValue));
            }
          }}
        >
          {matches.map((field) => (
            <Option
              key={field.id}
              value={String(field.id)}
              label={field.title}
              isDisabled={!field.mappable}
              data-testid={`fields-picker-option-${field.id}`}
              data-mappable={field.mappable ? 'true' : 'false'}
            >
              {field.title}
              <Option.Meta>{describe(field)}</Option.Meta>
            </Option>
          ))}
          {total > matches.length && (
            <Option isDisabled value="more" label="more">
              {total - matches.length} more fields match: keep typing
            </Option>
          )}
          {total === 0 && (
            <Option isDisabled value="none" label="none">
              No field matches &ldquo;{query}&rdquo;
            </Option>
          )}
        </Combobox>
      </Timing>
    </Field>
  );
}

function describe(field: FieldView): string {
  const options =
    field.type === 'tagger' || field.type === 'multiselect'
      ? ` · ${field.optionCount} ${field.optionCount === 1 ? 'option' : 'options'}`
      : '';
  const reason = field.reason === null ? '' : ` · ${field.reason}`;
  return `${typeLabel(field.type)}${options}${reason}`;
}

const Timing = styled.div`
  display: block;
`;

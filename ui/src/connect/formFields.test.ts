import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { useFormFields } from './formFields';

interface Pair {
  name: string;
  note: string;
}

const NAME_REQUIRED = 'Enter a name.';

function validate(fields: Pair) {
  return fields.name.trim() === '' || fields.name.includes(' ') ? { name: NAME_REQUIRED } : {};
}

function renderFields(initial: Pair = { name: '', note: '' }) {
  return renderHook(() => useFormFields(initial, validate)).result;
}

function type(bound: { onChange: (event: { target: { value: string } }) => void }, value: string) {
  act(() => {
    bound.onChange({ target: { value } });
  });
}

describe('useFormFields', () => {
  it('starts from the given values and keeps what is typed, untrimmed', () => {
    const result = renderFields({ name: 'ana', note: '' });
    expect(result.current.bind('name').value).toBe('ana');

    type(result.current.bind('note'), ' left as typed ');

    expect(result.current.fields).toEqual({ name: 'ana', note: ' left as typed ' });
  });

  it('shows a message only once the field is left with something in it', () => {
    const result = renderFields();
    type(result.current.bind('name'), 'a b');
    expect(result.current.bind('name').error).toBeUndefined();

    act(() => {
      result.current.bind('name').onBlur();
    });

    expect(result.current.bind('name').error).toBe(NAME_REQUIRED);
  });

  it('leaves an empty field without a message until a submit is tried', () => {
    const result = renderFields();
    act(() => {
      result.current.bind('name').onBlur();
    });
    expect(result.current.bind('name').error).toBeUndefined();

    let ready = true;
    act(() => {
      ready = result.current.attemptSubmit();
    });

    expect(ready).toBe(false);
    expect(result.current.bind('name').error).toBe(NAME_REQUIRED);
    expect(result.current.bind('note').error).toBeUndefined();
  });

  it('lets valid fields be sent', () => {
    const result = renderFields({ name: 'ana', note: '' });
    let ready = false;
    act(() => {
      ready = result.current.attemptSubmit();
    });
    expect(ready).toBe(true);
  });

  it('updates a field through `update` alone, for an input that never shows a message', () => {
    const result = renderFields();
    type({ onChange: result.current.update('note') }, 'secret');
    expect(result.current.fields.note).toBe('secret');
  });
});

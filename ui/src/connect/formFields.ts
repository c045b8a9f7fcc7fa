import { useState } from 'react';

/** What an input needs from its form: the value as typed, and the message to show under it, if any. */
export interface BoundField {
  value: string;
  onChange: (event: { target: { value: string } }) => void;
  onBlur: () => void;
  error: string | undefined;
}

/** A form's fields and how its inputs are bound to them. */
export interface FormFields<F> {
  fields: F;
  /** The value, handlers and shown message for the input of `name`. */
  bind: (name: keyof F) => BoundField;
  update: (name: keyof F) => (event: { target: { value: string } }) => void;
  /** Every message shows from now on; true when the fields may be sent. */
  attemptSubmit: () => boolean;
}

/** A form's text fields as typed, and when each one's message shows; `validate` gives the invalid ones' messages. */
export function useFormFields<F extends { [K in keyof F]: string }>(
  initial: F,
  validate: (fields: F) => Partial<Record<keyof F, string>>,
): FormFields<F> {
  const [fields, setFields] = useState<F>(initial);
  const [touched, setTouched] = useState<Partial<Record<keyof F, boolean>>>({});
  const [submitAttempted, setSubmitAttempted] = useState(false);

  const errors = validate(fields);
  // A message shows once the admin has left the field with something in it, or has tried to submit.
  const shownError = (name: keyof F): string | undefined =>
    submitAttempted || (touched[name] === true && fields[name] !== '') ? errors[name] : undefined;
  const update = (name: keyof F) => (event: { target: { value: string } }) => {
    setFields((previous) => ({ ...previous, [name]: event.target.value }));
  };
  const leave = (name: keyof F) => () => {
    setTouched((previous) => ({ ...previous, [name]: true }));
  };

  return {
    fields,
    bind: (name) => ({ value: fields[name], onChange: update(name), onBlur: leave(name), error: shownError(name) }),
    update,
    attemptSubmit: () => {
      setSubmitAttempted(true);
      return Object.keys(validate(fields)).length === 0;
    },
  };
}

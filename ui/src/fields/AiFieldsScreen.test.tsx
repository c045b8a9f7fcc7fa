import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { FieldView, FieldsOverview, MappedFieldView, PreviewFillView } from '../api';
import { CONNECTION, callsOf, fail, mockCommands, type CommandHandler } from '../test/ipc';
import { renderApp } from '../test/render';

const REASON: FieldView = {
  id: 101,
  title: 'Contact Reason',
  type: 'tagger',
  active: true,
  mappable: true,
  reason: null,
  optionCount: 5,
};
const NOTES: FieldView = { ...REASON, id: 102, title: 'Order number', type: 'text', optionCount: 0 };
const URGENT: FieldView = {
  ...REASON,
  id: 103,
  title: 'Urgent',
  type: 'checkbox',
  mappable: false,
  reason: 'checkboxes are not supported: use a dropdown with Yes and No options, which can also stay empty',
  optionCount: 0,
};
const SUBJECT: FieldView = {
  ...REASON,
  id: 104,
  title: 'Subject',
  type: 'subject',
  mappable: false,
  reason: 'a system field: Zendesk or the handoff itself sets it',
  optionCount: 0,
};

const OVERVIEW: FieldsOverview = {
  fields: [SUBJECT, REASON, NOTES, URGENT],
  mapped: [],
  dropped: [],
  fetchedAt: '2026-11-24T10:00:00Z',
  descriptionPlaceholder:
    'The primary reason the contact is writing. Pick the closest match from the allowed values.',
};

const REASON_MAPPED: MappedFieldView = {
  fieldId: 101,
  title: 'Contact Reason',
  type: 'tagger',
  description: 'The primary reason',
  status: 'ok',
  drift: null,
};

const MAPPED: FieldsOverview = {
  ...OVERVIEW,
  mapped: [
    REASON_MAPPED,
    {
      fieldId: 102,
      title: 'Order number',
      type: 'text',
      description: 'The order number',
      status: 'drift',
      drift: '"Order number" is inactive in Zendesk: the AI leaves it empty until it is active again, or unmap it',
    },
  ],
  dropped: [
    'Zendesk dropped "refund_request" from "Contact Reason" (101) on ticket #7: the value is not (or no longer) one of the field\'s options; refresh the fields and check the mapping',
  ],
};

/** The console connected, on the AI Fields screen. */
async function openScreen(handlers: Record<string, CommandHandler>) {
  const spy = mockCommands({ get_connection: () => CONNECTION, ...handlers });
  const view = renderApp();
  await screen.findByTestId('connected');
  await view.user.click(screen.getByTestId('nav-ai-fields'));
  return { spy, ...view };
}

// The whole console renders in jsdom, and the first render of a file loads Garden: on a busy 2-core machine that
// alone can take seconds.
describe('AI Fields', { timeout: 20_000 }, () => {
  it('lists the mapped fields with type, description and status, drift and dropped values included', async () => {
    await openScreen({ fields_overview: () => MAPPED });

    const table = await screen.findByTestId('fields-mapped-table');
    const ok = within(table).getByTestId('fields-mapped-row-101');
    expect(ok.getAttribute('data-status')).toBe('ok');
    expect(ok.textContent).toContain('Contact Reason');
    expect(ok.textContent).toContain('Drop-down');
    expect(ok.textContent).toContain('The primary reason');
    expect(ok.textContent).toContain('Active');
    const drifting = within(table).getByTestId('fields-mapped-row-102');
    expect(drifting.getAttribute('data-status')).toBe('drift');
    expect(screen.getByTestId('fields-drift-102').textContent).toContain('inactive in Zendesk');
    expect(screen.getByTestId('fields-dropped').textContent).toContain('Zendesk dropped "refund_request"');
    expect(screen.getByTestId('fields-fetched-at').textContent).toContain('4 fields, 2 can be filled');
  });

  it('picks a drop-down by typing part of its name and the keyboard, then saves its description', async () => {
    let overview = OVERVIEW;
    const { spy, user } = await openScreen({
      fields_overview: () => overview,
      map_field: () => {
        overview = { ...MAPPED, mapped: [REASON_MAPPED], dropped: [] };
        return null;
      },
    });
    expect(await screen.findByTestId('fields-empty')).toBeTruthy();

    await user.click(screen.getByTestId('fields-add'));
    const input = screen.getByTestId('fields-picker-input');
    await user.click(input);
    await user.type(input, 'reas');
    const option = await screen.findByTestId('fields-picker-option-101');
    expect(option.textContent).toContain('Drop-down · 5 options');
    expect(screen.queryByTestId('fields-picker-option-102')).toBeNull();
    expect(Number(screen.getByTestId('fields-picker').getAttribute('data-filter-ms'))).toBeGreaterThanOrEqual(0);
    await user.keyboard('{ArrowDown}{Enter}');
    expect((await screen.findByTestId('fields-chosen')).textContent).toContain('Contact Reason · Drop-down');

    const description = screen.getByTestId('fields-description');
    expect(description.getAttribute('placeholder')).toBe(OVERVIEW.descriptionPlaceholder);
    await user.type(description, 'Why they write');
    await user.click(screen.getByTestId('fields-save'));

    expect(await screen.findByTestId('fields-mapped-row-101')).toBeTruthy();
    expect(callsOf(spy, 'map_field')).toEqual([{ fieldId: 101, description: 'Why they write' }]);
    expect(screen.queryByTestId('fields-add-panel')).toBeNull();
  });

  it('lists fields the AI cannot fill as disabled, with why', async () => {
    const { user } = await openScreen({ fields_overview: () => OVERVIEW });
    await user.click(await screen.findByTestId('fields-add'));
    const input = screen.getByTestId('fields-picker-input');
    await user.click(input);
    await user.type(input, 'urg');
    const option = await screen.findByTestId('fields-picker-option-103');
    expect(option.getAttribute('aria-disabled')).toBe('true');
    expect(option.textContent).toContain('Checkbox · checkboxes are not supported');
    await user.click(option);
    expect(screen.queryByTestId('fields-chosen')).toBeNull();
    expect(screen.getByTestId<HTMLButtonElement>('fields-save').disabled).toBe(true);
  });

  it('shows why a save was refused and keeps the panel open', async () => {
    const { user } = await openScreen({
      fields_overview: () => OVERVIEW,
      map_field: () => fail('invalid_input', 'the description holds control characters; type it as plain text'),
    });
    await user.click(await screen.findByTestId('fields-add'));
    const input = screen.getByTestId('fields-picker-input');
    await user.click(input);
    await user.type(input, 'order');
    await user.click(await screen.findByTestId('fields-picker-option-102'));
    await user.type(screen.getByTestId('fields-description'), 'x');
    await user.click(screen.getByTestId('fields-save'));
    expect((await screen.findByTestId('fields-add-error')).textContent).toContain('control characters');
    expect(screen.getByTestId('fields-add-panel')).toBeTruthy();
  });

  it('removes a mapping', async () => {
    let overview = MAPPED;
    const { spy, user } = await openScreen({
      fields_overview: () => overview,
      unmap_field: () => {
        overview = { ...MAPPED, mapped: [REASON_MAPPED] };
        return null;
      },
    });
    await user.click(await screen.findByTestId('fields-unmap-102'));
    await waitFor(() => {
      expect(screen.queryByTestId('fields-mapped-row-102')).toBeNull();
    });
    expect(callsOf(spy, 'unmap_field')).toEqual([{ fieldId: 102 }]);
  });

  it('previews a pasted conversation: each field with its value, score and why, or left empty', async () => {
    const fills: PreviewFillView[] = [
      {
        fieldId: 101,
        title: 'Contact Reason',
        value: 'billing',
        optionName: 'Billing',
        score: 0.67,
        why: '"Billing" matched "charged" (customer, a synonym from the description)',
      },
      { fieldId: 102, title: 'Order number', value: null, optionName: null, score: 0, why: 'no customer sentence matches' },
    ];
    const { spy, user } = await openScreen({ fields_overview: () => MAPPED, preview_fields: () => fills });
    await user.type(await screen.findByTestId('fields-preview-conversation'), 'Customer: I was charged twice');
    await user.click(screen.getByTestId('fields-preview-run'));

    const billing = await screen.findByTestId('fields-preview-row-101');
    expect(billing.getAttribute('data-value')).toBe('billing');
    expect(billing.textContent).toContain('Billing');
    expect(billing.textContent).toContain('0.67');
    expect(billing.textContent).toContain('matched "charged"');
    const empty = screen.getByTestId('fields-preview-row-102');
    expect(empty.getAttribute('data-value')).toBe('');
    expect(empty.textContent).toContain('Left empty');
    expect(callsOf(spy, 'preview_fields')).toEqual([{ conversation: 'Customer: I was charged twice' }]);
  });

  it('refreshes the fields from Zendesk on demand', async () => {
    const { spy, user } = await openScreen({ fields_overview: () => OVERVIEW });
    await user.click(await screen.findByTestId('fields-refresh'));
    await waitFor(() => {
      expect(callsOf(spy, 'fields_overview')).toEqual([{ refresh: false }, { refresh: true }]);
    });
  });

  it('says what went wrong when the fields cannot be loaded', async () => {
    await openScreen({ fields_overview: () => fail('zendesk', 'Zendesk did not list the ticket fields: timeout') });
    expect((await screen.findByTestId('fields-error')).textContent).toContain('timeout');
  });

  it('asks for a connection first, and asks nothing of Zendesk', async () => {
    const spy = mockCommands({ get_connection: () => null });
    const { user } = renderApp();
    await screen.findByTestId('welcome-connect');
    await user.click(screen.getByTestId('nav-ai-fields'));
    expect(screen.getByTestId('fields-not-connected').textContent).toContain('Connect a Zendesk account first');
    expect(callsOf(spy, 'fields_overview')).toEqual([]);
  });
});

/**
 * The picker's search: pure functions over the account's fields, fast enough to run on every keystroke over a
 * catalog of a thousand fields (the lowercased texts are computed once per catalog, not per keystroke).
 */
import type { FieldView } from '../api';

/** How Admin Center names each field type. */
const TYPE_LABELS: Record<string, string> = {
  tagger: 'Drop-down',
  text: 'Text',
  textarea: 'Multi-line',
  multiselect: 'Multi-select',
  checkbox: 'Checkbox',
  date: 'Date',
  integer: 'Number',
  decimal: 'Decimal',
  regexp: 'Regex',
  partialcreditcard: 'Credit card',
  lookup: 'Lookup relationship',
  subject: 'System: subject',
  description: 'System: description',
  status: 'System: status',
  tickettype: 'System: type',
  priority: 'System: priority',
  group: 'System: group',
  assignee: 'System: assignee',
  custom_status: 'System: ticket status',
};

export function typeLabel(type: string): string {
  return TYPE_LABELS[type] ?? type;
}

/** A field with the text it is searched by, prepared once. */
export interface IndexedField {
  field: FieldView;
  title: string;
  words: string[];
  rest: string;
}

export function buildIndex(fields: readonly FieldView[]): IndexedField[] {
  return fields.map((field) => {
    const title = field.title.toLowerCase();
    return {
      field,
      title,
      words: title.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0),
      rest: `${typeLabel(field.type)} ${field.type} ${field.id}`.toLowerCase(),
    };
  });
}

/** The matches to show (at most `limit`), how many matched in all, best first. */
export interface FilterResult {
  matches: FieldView[];
  total: number;
}

/**
 * Fields whose title contains every word of `query` (or whose type or id does), ranked: title starts with the query,
 * then a word of it does, then anywhere; fields the AI can fill before those it cannot; then Zendesk's order.
 */
export function filterFields(index: readonly IndexedField[], query: string, limit: number): FilterResult {
  const wanted = query.trim().toLowerCase();
  const parts = wanted.split(/\s+/).filter((part) => part.length > 0);
  const ranked: { rank: number; order: number; field: FieldView }[] = [];
  index.forEach((entry, order) => {
    let rank: number;
    if (parts.length === 0) {
      rank = 0;
    } else if (entry.title.startsWith(wanted)) {
      rank = 0;
    } else if (parts.every((part) => entry.words.some((word) => word.startsWith(part)))) {
      rank = 1;
    } else if (parts.every((part) => entry.title.includes(part))) {
      rank = 2;
    } else if (parts.every((part) => entry.title.includes(part) || entry.rest.includes(part))) {
      rank = 3;
    } else {
      return;
    }
    ranked.push({ rank: rank * 2 + (entry.field.mappable ? 0 : 1), order, field: entry.field });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order);
  return { matches: ranked.slice(0, limit).map((entry) => entry.field), total: ranked.length };
}

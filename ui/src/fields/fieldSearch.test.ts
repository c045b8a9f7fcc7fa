import { describe, expect, it } from 'vitest';
import type { FieldView } from '../api';
import { buildIndex, filterFields } from './fieldSearch';

function field(id: number, title: string, mappable = true, type = 'tagger'): FieldView {
  return { id, title, type, active: true, mappable, reason: mappable ? null : 'no', optionCount: 3 };
}

describe('field search', () => {
  const fields = [
    field(1, 'Product Area'),
    field(2, 'Reason for Contact'),
    field(3, 'Insights Reason for Contact', false),
    field(4, 'Contact Reason'),
    field(5, 'Severity', true, 'text'),
  ];
  const index = buildIndex(fields);

  it.each([
    ['', [1, 2, 4, 5, 3]],
    ['reason', [2, 4, 3]],
    ['contact reason', [4, 2, 3]],
    ['reas cont', [2, 4, 3]],
    ['text', [5]],
    ['nothing like it', []],
  ])('%j finds %j, best first, the fields the AI can fill before the others', (query, ids) => {
    expect(filterFields(index, query, 50).matches.map((match) => match.id)).toEqual(ids);
  });

  it('shows at most the limit and counts the rest', () => {
    const result = filterFields(index, '', 2);
    expect(result.matches).toHaveLength(2);
    expect(result.total).toBe(5);
  });

  it('filters a thousand fields well within a frame', () => {
    const many = buildIndex(Array.from({ length: 1000 }, (_, i) => field(i, `Region ${i} product area ${i % 7}`)));
    const started = performance.now();
    for (const query of ['r', 're', 'reg', 'regi', 'regio', 'region', 'region 9']) {
      filterFields(many, query, 50);
    }
    expect((performance.now() - started) / 7).toBeLessThan(16);
  });
});

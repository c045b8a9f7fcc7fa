import { describe, expect, it } from 'vitest';
import { render } from '@testing-library/react';
import { Prose } from './Prose';
import { Theme } from '../Theme';

describe('Prose', () => {
  it.each([
    ['Run `handoff setup --fix trigger`, then verify again.', ['handoff setup --fix trigger']],
    ['Set `public-url` and `outbound-url`.', ['public-url', 'outbound-url']],
    ['No command here.', []],
    ['An unpaired ` backtick stays.', []],
  ])('shows the quoted parts of %j as code', (text, codes) => {
    const { container } = render(
      <Theme>
        <Prose text={text} />
      </Theme>,
    );
    expect([...container.querySelectorAll('code')].map((code) => code.textContent)).toEqual(codes);
    expect(container.textContent).toBe(codes.length === 0 ? text : text.split('`').join(''));
  });
});

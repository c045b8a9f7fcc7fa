import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { App } from '../App';
import { Theme } from '../Theme';

/** Renders the whole console as `main.tsx` does, and returns a user to drive it with. */
export function renderApp() {
  const user = userEvent.setup();
  const view = render(
    <Theme>
      <App />
    </Theme>,
  );
  return { user, ...view };
}

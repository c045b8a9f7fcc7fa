import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { Theme } from './Theme';

const root = document.getElementById('root');
if (root === null) {
  throw new Error('index.html has no #root element to mount the console in');
}
createRoot(root).render(
  <StrictMode>
    <Theme>
      <App />
    </Theme>
  </StrictMode>,
);

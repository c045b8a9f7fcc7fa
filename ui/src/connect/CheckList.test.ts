import { expect, it } from 'vitest';
import { check } from '../test/ipc';
import { upsertCheck } from './CheckList';

it('adds new checks at the end and updates known ones in place', () => {
  const subdomainRunning = check('subdomain', 'Subdomain', 'running');
  const subdomainPassed = check('subdomain', 'Subdomain', 'passed', 'acme.zendesk.com is a Zendesk account');
  const credentialsRunning = check('credentials', 'Credentials', 'running');

  let checks = upsertCheck([], subdomainRunning);
  checks = upsertCheck(checks, credentialsRunning);
  checks = upsertCheck(checks, subdomainPassed);

  expect(checks).toEqual([subdomainPassed, credentialsRunning]);
});

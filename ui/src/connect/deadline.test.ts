import { expect, it } from 'vitest';
import { describeDeadline } from './deadline';

it.each<[number, string]>([
  [157, 'API tokens stop working on 2027-04-30 (157 days left)'],
  [1, 'API tokens stop working on 2027-04-30 (1 day left)'],
  [0, 'API tokens stop working today, 2027-04-30'],
  [-3, 'API tokens stopped working on 2027-04-30'],
])('%i days left reads "%s"', (daysLeft, text) => {
  expect(describeDeadline({ date: '2027-04-30', daysLeft })).toBe(text);
});

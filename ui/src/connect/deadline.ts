/**
 * Zendesk's retirement of API tokens. Until the app reports the deadline itself (with the days left, from
 * `get_connection`), the Connect form shows the published date.
 * Source: developer.zendesk.com/documentation/api-basics/authentication/oauth-migration/
 */
export const API_TOKEN_DEADLINE = '2027-04-30';

/** "API tokens stop working on 2027-04-30 (157 days left)", worded for a deadline that is near, today or past. */
export function describeDeadline(deadline: { date: string; daysLeft: number }): string {
  const { date, daysLeft } = deadline;
  if (daysLeft < 0) {
    return `API tokens stopped working on ${date}`;
  }
  if (daysLeft === 0) {
    return `API tokens stop working today, ${date}`;
  }
  return `API tokens stop working on ${date} (${daysLeft} ${daysLeft === 1 ? 'day' : 'days'} left)`;
}

//! Zendesk API client.

//! Zendesk simulator.

//! Integration tests for the Zendesk client: one binary, one module per concern.

// Test helpers outside `#[test]` functions unwrap too: a panic here is a test failure with a location.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod behaviour;
mod bodies;
mod oauth;
mod scripted;
mod shared;
mod simulator;
mod spec;
mod users;

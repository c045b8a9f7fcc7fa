//! Integration tests of the Zendesk simulator, driven like a client would drive Zendesk.

// The whole binary is test code: a failed expectation is a failed test.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

mod accounts;
mod binary;
mod conformance;
mod control;
mod oauth;
mod pagination;
mod tickets;
mod triggers;
mod users;
mod webhooks;

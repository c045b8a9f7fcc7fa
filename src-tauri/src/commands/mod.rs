//! Tauri commands, one module per screen. Each is an adapter: take state, call one core function, map the error.

pub mod connect;

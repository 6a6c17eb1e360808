//! Handlers, one module per resource.

pub mod admin;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod cases;
pub mod events;
pub mod health;
pub mod org;
pub mod rules;
pub mod supervision;

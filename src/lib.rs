//! dealgraph: a knowledge-graph query service for the AI-infrastructure market.
//!
//! The crate is a library with a thin binary over it. `store` owns the data and the one door
//! for writes; `server` is the only module that knows HTTP; `cli` and `config` are the command
//! line. See ARCHITECTURE.md for the map and its invariants.

pub mod cli;
pub mod config;
pub mod examples;
pub mod fetch;
pub mod generate;
pub mod guard;
pub mod import;
pub mod infer;
pub mod rdf;
pub mod search;
pub mod seed;
pub mod server;
pub mod store;
pub mod validate;
pub mod views;

//! Proctoring persistence: events, heartbeats, pairings, evidence frames, flags.

pub mod entities;

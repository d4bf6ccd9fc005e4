//! Reports: descriptive statistics of scores ([`stats`]) and the item
//! analysis of an exam by classical test theory ([`items`]). Pure numbers in,
//! numbers out; the server streams results into them.

pub mod items;
pub mod stats;
mod total_bins;

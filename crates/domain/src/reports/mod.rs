//! Reports: descriptive statistics of scores ([`stats`]), the item
//! analysis of an exam by classical test theory ([`items`]) and a
//! candidate's weighted composite across exam types ([`composite`]). Pure numbers in,
//! numbers out; the server streams results into them.

pub mod composite;
pub mod items;
pub mod stats;
mod total_bins;

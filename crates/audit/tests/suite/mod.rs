mod import;
mod metrics;
mod report;
mod store;

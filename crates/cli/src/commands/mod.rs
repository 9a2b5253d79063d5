pub mod audit;
pub mod demo;
pub mod demo_audit;
pub mod hook;
pub mod import;
pub mod policy;
pub mod report;
pub mod route;

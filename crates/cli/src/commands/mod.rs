pub mod demo;
pub mod hook;
pub mod policy;
pub mod route;

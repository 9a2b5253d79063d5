mod corpus;
mod hooks;
mod regression;
mod fuzz_regressions;
mod pipeline;

mod corpus;
mod hooks;
mod regression;

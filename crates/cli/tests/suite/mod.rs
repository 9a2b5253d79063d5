mod audit;
mod demo;
mod docs;
mod scope;

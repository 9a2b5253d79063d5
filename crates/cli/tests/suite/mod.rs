mod audit;
mod demo;
mod docs;
mod export;
mod scope;
mod lint;
mod learn;
mod suggest;

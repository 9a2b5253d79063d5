mod audit;
mod demo;
mod docs;

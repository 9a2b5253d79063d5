mod audit;
mod demo;

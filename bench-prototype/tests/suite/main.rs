//! Integration tests of the bench prototype, in one binary (correctness
//! only: nothing here asserts a speed).

mod common;
mod fault;
mod kill_points;
mod quick;
mod runtime;

//! Tests of access-log parsing.

//! Tests of event building.

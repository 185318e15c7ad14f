//! Tests of the pipeline actors.

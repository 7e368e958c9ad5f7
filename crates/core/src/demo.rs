//! The demo municipality (filled in below).

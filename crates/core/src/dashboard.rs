//! The "Vandaag" overview: what a coordinator sees first (filled in with the desktop shell).

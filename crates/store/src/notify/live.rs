//! Live sessions and their participants. Every function takes the
//! organization (participants through their session).

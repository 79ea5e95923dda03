//! Anthropic's Messages API: a stream's events (`stream`), a whole message (`whole`),
//! and its JSON as far as they read it (`data`).

mod data;
mod stream;
mod whole;

//! Reports: renderings of a [`crate::outcome::RunReport`].

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod output;
pub mod terminal;

//! Reports: renderings of a [`model::RunReport`].

pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod model;
pub mod output;
pub mod terminal;

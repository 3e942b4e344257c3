//! Where each report format goes: the terminal and GitHub annotations to stdout,
//! files (JSON, JUnit, HTML, SARIF, Markdown) into the output folder.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::{github, html, json, junit, markdown, sarif, terminal};
use crate::outcome::RunReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Terminal,
    Json,
    Junit,
    Html,
    Github,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// Markdown, for a job summary or a pull-request comment.
    Markdown,
}

impl Format {
    /// File name inside the output folder, for formats that are files.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            Format::Json => Some("report.json"),
            Format::Junit => Some("report.junit.xml"),
            Format::Html => Some("report.html"),
            Format::Sarif => Some("report.sarif"),
            Format::Markdown => Some("report.md"),
            Format::Terminal | Format::Github => None,
        }
    }
}

/// Why the reports could not be rendered or written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "several formats share stdout: pass -o DIR to write the report files (JSON, JUnit, HTML, SARIF, Markdown)"
    )]
    SharedStdout,
    /// A renderer failed (JUnit or HTML).
    #[error("{0}")]
    Render(anyhow::Error),
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone)]
pub struct OutputPlan {
    pub formats: Vec<Format>,
    /// Folder for file formats; `None` means a single file format goes to stdout.
    pub dir: Option<PathBuf>,
    pub color: bool,
    pub warnings_as_failures: bool,
}

impl OutputPlan {
    /// Checks the combination before anything runs.
    pub fn validate(&self) -> Result<(), ReportError> {
        let files = self
            .formats
            .iter()
            .filter(|f| f.file_name().is_some())
            .count();
        let stdout_users = self.formats.len() - files;
        if self.dir.is_none() && files > 0 && (files > 1 || stdout_users > 0) {
            return Err(ReportError::SharedStdout);
        }
        Ok(())
    }
}

fn render_one(
    format: Format,
    report: &RunReport,
    plan: &OutputPlan,
) -> Result<String, ReportError> {
    match format {
        Format::Terminal => Ok(terminal::render(report, plan.color)),
        Format::Json => Ok(json::render(report)),
        Format::Junit => {
            junit::render(report, plan.warnings_as_failures).map_err(ReportError::Render)
        }
        Format::Html => html::render(report).map_err(ReportError::Render),
        Format::Github => Ok(github::render(report)),
        Format::Sarif => Ok(sarif::render(report)),
        Format::Markdown => Ok(markdown::render(report)),
    }
}

/// Emits every requested format; `subdir` separates servers of one run. Returns the
/// files written.
pub fn emit(
    report: &RunReport,
    plan: &OutputPlan,
    subdir: Option<&str>,
) -> Result<Vec<PathBuf>, ReportError> {
    let mut written = Vec::new();
    for &format in &plan.formats {
        let text = render_one(format, report, plan)?;
        match (format.file_name(), &plan.dir) {
            (Some(name), Some(dir)) => {
                let folder = match subdir {
                    Some(s) => dir.join(s),
                    None => dir.clone(),
                };
                std::fs::create_dir_all(&folder).map_err(|source| ReportError::CreateDir {
                    path: folder.clone(),
                    source,
                })?;
                let path = folder.join(name);
                write_file(&path, &text)?;
                written.push(path);
            }
            _ => print!("{text}"),
        }
    }
    Ok(written)
}

pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

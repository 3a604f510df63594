//! The seed: what a fakehub starts with (and returns to on reset). Written
//! as TOML or JSON:
//!
//! ```toml
//! [app]
//! id = 1
//! slug = "probot"
//! public_key_file = "app-public-key.pem"   # relative to the seed file
//! installations = [{ id = 7, account = "acme", repos = ["acme/widgets"] }]
//!
//! [[users]]
//! login = "alice"
//! token = "ghp_alice"                        # a personal access token
//!
//! [[teams]]
//! name = "acme/oncall"                       # mentioned as @acme/oncall
//! members = ["alice", "bob"]
//!
//! [[repos]]
//! name = "acme/widgets"
//! default_branch = "main"
//! labels = ["bug", "high priority"]
//! collaborators = { alice = "admin", bob = "write" }
//! workflows = ["trunk.yml"]
//! files = { ".github/probot.toml" = "..." }
//!
//! [[repos.issues]]
//! title = "Crash on start"
//! author = "carol"
//! labels = ["bug"]
//!
//! [[repos.pulls]]
//! title = "Fix the docs"
//! author = "dave"
//! files = ["docs/index.md"]
//! fork = true
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::state::{
    self, App, File, Identity, Installation, Label, NewItem, NewPull, Repo, Token, Workflow, World,
};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seed {
    #[serde(default)]
    pub app: Option<SeedApp>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub teams: Vec<SeedTeam>,
    #[serde(default)]
    pub repos: Vec<SeedRepo>,
    /// Where relative paths in the seed point from.
    #[serde(skip)]
    pub base_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedApp {
    pub id: u64,
    pub slug: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    /// PEM of the public key that verifies the app's JWTs.
    #[serde(default)]
    pub public_key: Option<String>,
    #[serde(default)]
    pub public_key_file: Option<PathBuf>,
    #[serde(default)]
    pub installations: Vec<SeedInstallation>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedInstallation {
    pub id: u64,
    pub account: String,
    pub repos: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedUser {
    pub login: String,
    #[serde(default)]
    pub token: Option<String>,
}

/// A team, `org/slug`, and its members: a mention of the team notifies
/// them with reason `team_mention`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedTeam {
    pub name: String,
    #[serde(default)]
    pub members: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedRepo {
    /// `owner/name`.
    pub name: String,
    #[serde(default = "main")]
    pub default_branch: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub labels: Vec<String>,
    /// login -> `admin`, `maintain`, `write`, `triage` or `read`.
    #[serde(default)]
    pub collaborators: BTreeMap<String, String>,
    /// Workflow file names under `.github/workflows/`.
    #[serde(default)]
    pub workflows: Vec<String>,
    /// Files on the default branch: path -> text.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Files read from disk, relative to the seed file: path in the
    /// repository -> path on disk.
    #[serde(default)]
    pub files_from: BTreeMap<String, PathBuf>,
    #[serde(default)]
    pub issues: Vec<SeedItem>,
    #[serde(default)]
    pub pulls: Vec<SeedItem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedItem {
    #[serde(default)]
    pub number: Option<u64>,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub body_from: Option<PathBuf>,
    pub author: String,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default = "yes")]
    pub open: bool,
    // Pull requests only.
    #[serde(default)]
    pub head_ref: Option<String>,
    #[serde(default)]
    pub head_sha: Option<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub draft: bool,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub contents: BTreeMap<String, String>,
}

fn main() -> String {
    "main".into()
}

fn yes() -> bool {
    true
}

impl Seed {
    /// Reads a seed file, TOML or JSON by its extension.
    pub fn from_file(path: &Path) -> Result<Seed, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("can't read {}: {e}", path.display()))?;
        let mut seed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str::<Seed>(&text).map_err(|e| format!("{}: {e}", path.display()))?
        } else {
            toml::from_str::<Seed>(&text).map_err(|e| format!("{}: {e}", path.display()))?
        };
        seed.base_dir = path.parent().map(Path::to_path_buf);
        Ok(seed)
    }

    /// Parses a TOML seed; relative paths in it point from `base_dir`.
    pub fn from_toml(text: &str, base_dir: Option<&Path>) -> Result<Seed, String> {
        let mut seed = toml::from_str::<Seed>(text).map_err(|e| e.to_string())?;
        seed.base_dir = base_dir.map(Path::to_path_buf);
        Ok(seed)
    }

    fn read(&self, path: &Path) -> Result<String, String> {
        let full = match &self.base_dir {
            Some(dir) if path.is_relative() => dir.join(path),
            _ => path.to_path_buf(),
        };
        std::fs::read_to_string(&full).map_err(|e| format!("can't read {}: {e}", full.display()))
    }

    /// A fresh world from the seed.
    pub fn build(&self, base_url: &str) -> Result<World, String> {
        let mut world = World {
            base_url: base_url.to_owned(),
            started_at: state::now(),
            ..World::default()
        };
        if let Some(app) = &self.app {
            let public_key = match (&app.public_key, &app.public_key_file) {
                (Some(pem), _) => pem.clone(),
                (None, Some(path)) => self.read(path)?,
                (None, None) => return Err("the app needs public_key or public_key_file".into()),
            };
            world.app = Some(App {
                id: app.id,
                slug: app.slug.clone(),
                name: app.name.clone().unwrap_or_else(|| app.slug.clone()),
                owner: app.owner.clone().unwrap_or_else(|| "fakehub".into()),
                public_key,
            });
            world.installations = app
                .installations
                .iter()
                .map(|i| Installation {
                    id: i.id,
                    account: i.account.clone(),
                    repos: i.repos.clone(),
                })
                .collect();
        }
        for user in &self.users {
            world.remember_user(&user.login);
            if let Some(token) = &user.token {
                world.tokens.insert(
                    token.clone(),
                    Token {
                        identity: Identity::User(user.login.clone()),
                        expires_at: None,
                    },
                );
            }
        }
        for team in &self.teams {
            for member in &team.members {
                world.remember_user(member);
            }
            world
                .teams
                .insert(team.name.to_ascii_lowercase(), team.members.clone());
        }
        for seed in &self.repos {
            let repo = self.build_repo(&mut world, seed)?;
            world.repos.insert(repo.full_name(), repo);
            // Issues first, then pull requests, numbered in that order.
            for (item, is_pull) in seed
                .issues
                .iter()
                .map(|i| (i, false))
                .chain(seed.pulls.iter().map(|p| (p, true)))
            {
                let spec = self.new_item(item, is_pull)?;
                world
                    .insert_item(&seed.name, spec, item.number, item.open)
                    .map_err(|r| r.message)?;
            }
        }
        Ok(world)
    }

    fn build_repo(&self, world: &mut World, seed: &SeedRepo) -> Result<Repo, String> {
        let (owner, name) = seed
            .name
            .split_once('/')
            .ok_or_else(|| format!("repository `{}` is not owner/name", seed.name))?;
        let id = world.id();
        let mut repo = Repo {
            id,
            owner: owner.into(),
            name: name.into(),
            description: seed.description.clone(),
            default_branch: seed.default_branch.clone(),
            refs: BTreeMap::new(),
            files: BTreeMap::new(),
            issues: BTreeMap::new(),
            labels: BTreeMap::new(),
            comments: Vec::new(),
            collaborators: seed.collaborators.clone(),
            workflows: Vec::new(),
            dispatches: Vec::new(),
            check_runs: Vec::new(),
        };
        let mut files = seed.files.clone();
        for (path, disk) in &seed.files_from {
            files.insert(path.clone(), self.read(disk)?);
        }
        for (path, text) in files {
            repo.files.insert(
                (seed.default_branch.clone(), path),
                File {
                    sha: state::sha_of(&text),
                    text,
                },
            );
        }
        repo.refs.insert(
            format!("refs/heads/{}", seed.default_branch),
            state::sha_of(&format!("{} initial", seed.name)),
        );
        for label in &seed.labels {
            let id = world.id();
            repo.labels.entry(label.clone()).or_insert_with(|| Label {
                id,
                name: label.clone(),
                color: "ededed".into(),
                description: None,
            });
        }
        for workflow in &seed.workflows {
            let id = world.id();
            repo.workflows.push(Workflow {
                id,
                path: format!(".github/workflows/{workflow}"),
                name: workflow
                    .trim_end_matches(".yml")
                    .trim_end_matches(".yaml")
                    .into(),
            });
        }
        Ok(repo)
    }

    /// A seeded issue or pull request, as one opened through the API.
    fn new_item(&self, item: &SeedItem, is_pull: bool) -> Result<NewItem, String> {
        let body = match &item.body_from {
            Some(path) => self.read(path)?,
            None => item.body.clone(),
        };
        Ok(NewItem {
            title: item.title.clone(),
            body,
            author: item.author.clone(),
            labels: item.labels.clone(),
            pull: is_pull.then(|| NewPull {
                head_ref: item.head_ref.clone(),
                head_sha: item.head_sha.clone(),
                base_ref: None,
                fork: item.fork,
                draft: item.draft,
                files: item.files.clone(),
                contents: item.contents.clone(),
            }),
        })
    }
}

//! The layers over the declared defaults: `messgo.toml` < `MESSGO_*` environment (and
//! secrets' `_FILE`s) < flags. Each layer is raw text by key; [`Config::resolve`] stacks
//! them and gives the winners to clap as flags, so each value is checked, typed and
//! defaulted by its declaration, whichever layer it came from.

use std::collections::BTreeMap;
use std::ffi::OsString;

use clap::builder::ValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use super::{invalid, Config, ConfigError};

/// Every setting as clap arguments, as declared on [`Config`]; none required, since
/// the assistant's and TLS's are required only together ([`needed_together`]).
fn command() -> Command {
    Config::augment_args(Command::new("messgo")).mut_args(|a| a.required(false))
}

/// One setting as declared on [`Config`]: the names it goes by and its documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The key in messgo.toml (clap's id for the argument).
    pub key: String,
    /// `--data-dir`.
    pub flag: String,
    /// `MESSGO_DATA_DIR`.
    pub env: String,
    /// A secret (declared `hide_env_values`): may come from the file named by
    /// `<env>_FILE`, and is hidden from help and logs.
    pub secret: bool,
    pub default: Option<String>,
    pub help: String,
}

impl Setting {
    fn of(arg: &Arg) -> Setting {
        let key = arg.get_id().as_str().to_owned();
        Setting {
            flag: format!("--{}", arg.get_long().unwrap_or(&key)),
            env: format!("MESSGO_{}", key.to_uppercase()),
            secret: arg.is_hide_env_values_set(),
            default: arg
                .get_default_values()
                .first()
                .map(|v| v.to_string_lossy().into_owned()),
            help: arg.get_help().map(ToString::to_string).unwrap_or_default(),
            key,
        }
    }

    /// The variable naming a file that holds a secret's value.
    pub fn file_env(&self) -> Option<String> {
        self.secret.then(|| format!("{}_FILE", self.env))
    }

    /// The argument as `messgo serve` shows and takes it: the help names the toml key and
    /// the environment variables, and the raw text is kept for [`Config::resolve`] to
    /// check (clap reads no variable: [`ConfigLayer::from_env`] does).
    fn flag_arg(&self, arg: &Arg) -> Arg {
        let file = self.file_env().map(|f| format!(" or {f}"));
        let help = format!(
            "{} [toml: {}] [env: {}{}]",
            self.help,
            self.key,
            self.env,
            file.unwrap_or_default()
        );
        arg.clone()
            .help(help)
            .display_order(None)
            .value_parser(ValueParser::os_string())
    }
}

/// Every setting, in the order declared.
pub fn settings() -> Vec<Setting> {
    command().get_arguments().map(Setting::of).collect()
}

/// The README's table of settings, as generated from the declarations.
pub fn readme_table() -> String {
    let rows = settings().into_iter().map(|s| {
        let mut env = format!("`{}`", s.env);
        if let Some(file) = s.file_env() {
            env.push_str(&format!(", `{file}`"));
        }
        let default = s
            .default
            .map_or_else(|| "–".to_owned(), |d| format!("`{d}`"));
        let help = s.help.replace('|', "\\|");
        format!(
            "| `{}` / `{}` | {env} | {default} | {help} |\n",
            s.flag, s.key
        )
    });
    let head = "| flag / toml key | environment | default | meaning |\n|---|---|---|---|\n";
    std::iter::once(head.to_owned()).chain(rows).collect()
}

/// One layer of settings: raw text by key, each noting where it came from.
#[derive(Debug, Clone, Default)]
pub struct ConfigLayer {
    values: BTreeMap<String, Given>,
}

#[derive(Clone, derive_more::Debug)]
struct Given {
    #[debug(skip)]
    text: OsString,
    from: String,
}

impl ConfigLayer {
    fn set(&mut self, key: &str, text: impl Into<OsString>, from: &str) {
        let given = Given {
            text: text.into(),
            from: from.to_owned(),
        };
        self.values.insert(key.to_owned(), given);
    }

    /// Parses messgo.toml; returns the layer and the keys it did not know.
    pub fn from_toml(text: &str) -> Result<(ConfigLayer, Vec<String>), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::Toml(e.message().to_owned()))?;
        let known = settings();
        let (mut layer, mut unknown) = (ConfigLayer::default(), Vec::new());
        for (key, value) in table {
            if !known.iter().any(|s| s.key == key) {
                unknown.push(key);
                continue;
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                toml::Value::Float(x) => x.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Datetime(d) => d.to_string(),
                toml::Value::Array(_) | toml::Value::Table(_) => {
                    return Err(ConfigError::Toml(format!("{key}: must be a single value")))
                }
            };
            layer.set(&key, text, "messgo.toml");
        }
        Ok((layer, unknown))
    }

    /// Reads `MESSGO_*` variables, and secrets from the files that `<VARIABLE>_FILE`s
    /// name (a secret's own variable wins); returns the layer and the variables it did
    /// not know.
    pub fn from_env(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(ConfigLayer, Vec<String>), ConfigError> {
        let known = settings();
        let (mut layer, mut unknown, mut files) = (ConfigLayer::default(), Vec::new(), Vec::new());
        for (name, value) in vars.into_iter().filter(|(n, _)| n.starts_with("MESSGO_")) {
            if let Some(s) = known.iter().find(|s| s.env == name) {
                layer.set(&s.key, value, &name);
            } else if let Some(s) = known.iter().find(|s| s.file_env().as_ref() == Some(&name)) {
                files.push((s.key.clone(), value, name));
            } else {
                unknown.push(name);
            }
        }
        for (key, path, name) in files {
            if !layer.values.contains_key(&key) {
                let text = std::fs::read_to_string(&path)
                    .map_err(|source| ConfigError::Read { path, source })?;
                layer.set(&key, text.trim_end(), &name);
            }
        }
        Ok((layer, unknown))
    }
}

/// The flags of `messgo serve`: every setting, shown with its toml key and environment
/// variables, and taken as given on the command line.
impl Args for ConfigLayer {
    fn augment_args(cmd: Command) -> Command {
        let declared = command();
        declared
            .get_arguments()
            .fold(cmd, |cmd, arg| cmd.arg(Setting::of(arg).flag_arg(arg)))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ConfigLayer {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut layer = ConfigLayer::default();
        for s in settings() {
            if matches.value_source(&s.key) != Some(ValueSource::CommandLine) {
                continue;
            }
            if let Some(text) = matches.get_raw(&s.key).and_then(|mut v| v.next_back()) {
                layer.set(&s.key, text, &s.flag);
            }
        }
        Ok(layer)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.values.extend(Self::from_arg_matches(matches)?.values);
        Ok(())
    }
}

impl Config {
    /// Stacks `layers` (later ones win) over the declared defaults, checks every value
    /// against its declaration, and types them.
    pub fn resolve(layers: impl IntoIterator<Item = ConfigLayer>) -> Result<Config, ConfigError> {
        let mut values = BTreeMap::new();
        for layer in layers {
            values.extend(layer.values);
        }
        needed_together(&values)?;
        let cmd = command();
        let mut argv = vec![OsString::from("messgo")];
        for (key, given) in &values {
            let arg = cmd
                .get_arguments()
                .find(|a| a.get_id() == key.as_str())
                .ok_or_else(|| invalid(key, "is not a setting"))?;
            argv.push(checked(arg, given)?);
        }
        let matches = cmd
            .try_get_matches_from(argv)
            .map_err(|e| invalid("settings", e.to_string()))?;
        Config::from_arg_matches(&matches).map_err(|e| invalid("settings", e.to_string()))
    }
}

/// `--key=text`, once the argument's own parser took the text; else an error naming the
/// key and where the text came from.
fn checked(arg: &Arg, given: &Given) -> Result<OsString, ConfigError> {
    let mut flag = OsString::from(format!("--{}=", arg.get_long().unwrap_or_default()));
    flag.push(&given.text);
    let alone = Command::new("messgo").arg(arg.clone());
    match alone.try_get_matches_from([OsString::from("messgo"), flag.clone()]) {
        Ok(_) => Ok(flag),
        Err(e) => {
            let problem = std::error::Error::source(&e).map_or_else(
                || {
                    first_line(&e.to_string())
                        .trim_start_matches("error: ")
                        .to_owned()
                },
                ToString::to_string,
            );
            let key = arg.get_id().as_str();
            Err(invalid(key, format!("{problem} (from {})", given.from)))
        }
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}

/// The assistant needs its URL and its model, or neither (nor a key); built-in TLS its
/// certificate and its key, or neither.
fn needed_together(values: &BTreeMap<String, Given>) -> Result<(), ConfigError> {
    let has = |key: &str| values.contains_key(key);
    match (has("tls_cert"), has("tls_key")) {
        (true, false) => {
            return Err(invalid(
                "tls_key",
                "must name the private key's PEM file when tls_cert is set",
            ))
        }
        (false, true) => {
            return Err(invalid(
                "tls_cert",
                "must name the certificate's PEM file when tls_key is set",
            ))
        }
        (true, true) | (false, false) => {}
    }
    if !(has("ai_url") || has("ai_model") || has("ai_key")) {
        return Ok(());
    }
    if !has("ai_url") {
        return Err(invalid(
            "ai_url",
            "must be an http(s) URL such as http://127.0.0.1:11434/v1 when ai_model or ai_key is set",
        ));
    }
    if !has("ai_model") {
        return Err(invalid(
            "ai_model",
            "must name the model when ai_url is set",
        ));
    }
    Ok(())
}

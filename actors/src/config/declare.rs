//! The one macro that turns the list of keys in [`super::keys`] into everything a key needs:
//! its field in the effective [`super::Config`], its field in the file as written, its entry
//! in [`super::KEYS`], its default and how its layers are resolved. A key is declared once.

/// `required` keys always have a value; `optional` ones are `Option` and default to none.
macro_rules! field_type {
    (required $ty:ty) => { $ty };
    (optional $ty:ty) => { Option<$ty> };
}

macro_rules! resolve {
    (required, $layers:expr, $key:expr, $file:expr, $default:expr, $check:expr) => {
        $layers.required($key, $file, $default, $check)
    };
    (optional, $layers:expr, $key:expr, $file:expr, $default:expr, $check:expr) => {
        $layers.optional($key, $file, $check)
    };
}

/// Declares the configuration: sections, each a `[table]` of the file, each key with its
/// doc line, type, default, environment variables (first wins) and check.
macro_rules! declare_config {
    (
        $(
            $(#[doc = $section_doc:literal])*
            [$section:ident] $Section:ident, $File:ident {
                $(
                    $(#[doc = $doc:literal])*
                    $field:ident: $kind:ident $ty:ty = $default:expr,
                    env [$($variable:literal),+],
                    check $check:expr;
                )*
            }
        )*
    ) => {
        /// The effective configuration.
        #[derive(Clone, Debug, PartialEq, serde::Serialize)]
        pub struct Config {
            $( pub $section: $Section, )*
        }

        $(
            $(#[doc = $section_doc])*
            #[derive(Clone, Debug, PartialEq, serde::Serialize)]
            pub struct $Section {
                $(
                    $(#[doc = $doc])*
                    pub $field: field_type!($kind $ty),
                )*
            }

            // The table as written: every key optional, with its position kept for errors
            // and for `plinth config`. Unknown keys are refused so a typo never silently
            // means "default".
            #[derive(Default, serde::Deserialize)]
            #[serde(deny_unknown_fields)]
            struct $File {
                $( $field: Option<toml::Spanned<$ty>>, )*
            }
        )*

        #[derive(Default, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        pub(super) struct FileConfig {
            $( #[serde(default)] $section: $File, )*
        }

        /// Every key, in the order `plinth config` prints them.
        pub const KEYS: &[KeyInfo] = &[
            $($(
                KeyInfo {
                    key: concat!(stringify!($section), ".", stringify!($field)),
                    variables: &[$($variable),+],
                    doc: concat!($($doc),*),
                },
            )*)*
        ];

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $( $section: $Section { $( $field: $default, )* }, )*
                }
            }
        }

        /// Each key's value from the highest layer that sets it.
        pub(super) fn resolve<E: Fn(&str) -> Option<String>>(
            file: FileConfig,
            layers: &mut Layers<'_, E>,
        ) -> Result<Config, ConfigError> {
            let defaults = Config::default();
            Ok(Config {
                $(
                    $section: $Section {
                        $(
                            $field: resolve!(
                                $kind,
                                layers,
                                concat!(stringify!($section), ".", stringify!($field)),
                                file.$section.$field,
                                defaults.$section.$field,
                                $check
                            )?,
                        )*
                    },
                )*
            })
        }
    };
}

//! What the list of capabilities in `capabilities/mod.rs` expands to, so that nothing else
//! has to name every capability: the [`Capability`](super::Capability) enum and its names,
//! the [`Capabilities`](super::Capabilities) of an instance, linking by name, and the
//! conversions to and from the WIT's `capability` enum (which fail to compile when the WIT
//! and the list disagree).

/// Each entry: `Variant = "wit-interface-name" in module: Trait;`, where `module` is the
/// capability's file beside this one (its host glue), names its field in `Capabilities`,
/// and is the WIT interface's module in each version's bindings (which link it).
macro_rules! capabilities {
    ($(
        $(#[doc = $doc:literal])*
        $variant:ident = $name:literal in $module:ident: $cap:ident;
    )*) => {
        /// One grantable import of the `adapter` world.
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum Capability {
            $(
                $(#[doc = $doc])*
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl Capability {
            /// Every capability, in WIT order.
            pub const ALL: [Capability; [$($name),*].len()] = [$(Capability::$variant),*];

            /// Its name: its WIT interface's, and the one a grant uses.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Capability::$variant => $name,)*
                }
            }

            /// Defines its interface, of `version`, in `linker`, answered from the
            /// instance's [`Capabilities`].
            pub(crate) fn link<T: 'static>(
                self,
                linker: &mut wasmtime::component::Linker<T>,
                view: view::GetView<T>,
                version: crate::wit::WitVersion,
            ) -> wasmtime::Result<()> {
                use crate::wit::{WitVersion, latest, v1};
                use view::CapsData;
                match (self, version) {
                    $(
                        (Capability::$variant, WitVersion::V0_2) => {
                            latest::plinth::agent::$module::add_to_linker::<_, CapsData>(linker, view)
                        }
                        (Capability::$variant, WitVersion::V0_1) => {
                            v1::plinth::agent::$module::add_to_linker::<_, CapsData>(linker, view)
                        }
                    )*
                }
            }
        }

        /// The implementations handed to one instance. A capability that was granted (and
        /// so linked) but is `None` here answers every call with `access-denied`; `log` and
        /// `state.load`, which cannot fail in WIT, go to `tracing` and answer `none` instead.
        #[derive(Clone, Default)]
        pub struct Capabilities {
            /// Names the task in host-side logs.
            pub task_id: String,
            $(
                $(#[doc = $doc])*
                pub $module: Option<std::sync::Arc<dyn $cap>>,
            )*
        }

        impl std::fmt::Debug for Capabilities {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct("Capabilities")
                    .field("task_id", &self.task_id)
                    $(.field(stringify!($module), &self.$module.is_some()))*
                    .finish()
            }
        }

        impl From<crate::wit::WitCapability> for Capability {
            fn from(c: crate::wit::WitCapability) -> Self {
                match c {
                    $(crate::wit::WitCapability::$variant => Capability::$variant,)*
                }
            }
        }

        impl From<Capability> for crate::wit::WitCapability {
            fn from(c: Capability) -> Self {
                match c {
                    $(Capability::$variant => crate::wit::WitCapability::$variant,)*
                }
            }
        }
    };
}

pub(super) use capabilities;

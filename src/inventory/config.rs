//! `zones/zonegate.yaml`, `zones/services/*.yaml`, `zones/records/*.yaml` (placeholder).

use std::path::Path;

use super::{Error, Inventory};

/// Reads the repository at `root`.
pub(crate) fn load(root: &Path) -> Result<Inventory, Error> {
    Err(Error::Read {
        path: root.to_path_buf(),
        source: std::io::Error::other("not yet implemented"),
    })
}

/// Placeholder.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// CMDB override.
    pub cmdb: Option<std::path::PathBuf>,
}

/// Placeholder.
pub fn load_with(root: &Path, _options: &LoadOptions) -> Result<Inventory, Error> {
    load(root)
}

// The option string of a cow volume's overlay mount (mount(2) data of type "overlay"). The layer
// paths are built by the driver from --state-dir and a validated volume name, but a state
// directory may still hold ',', ':' or '\', which overlayfs reads as option, layer and escape
// separators: each is escaped so no path can add an option or a layer.
// Thread-safety: pure functions.
#pragma once

#include <filesystem>
#include <string>

namespace nfsfuse::driver {

// `path` with '\', ',' and ':' each preceded by a backslash, as overlayfs unescapes them.
std::string escape_overlay_path(const std::string& path);

// "lowerdir=L,upperdir=U,workdir=W,index=off,nfs_export=off,metacopy=off,redirect_dir=on" with
// the paths escaped. Why each feature is set so: docs/DRIVER.md, "Copy-on-write volumes".
std::string overlay_mount_options(const std::filesystem::path& lower,
                                  const std::filesystem::path& upper,
                                  const std::filesystem::path& work);

}  // namespace nfsfuse::driver

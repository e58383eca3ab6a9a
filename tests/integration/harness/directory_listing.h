// Directory listings by readdir(3), as a program would see them, for comparing against what was
// created. Throws HarnessError naming the directory and errno.
// Thread-safety: free functions.
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace nfsfuse::it {

// Every name readdir returns, "." and ".." included; a multiset so duplicates show.
std::multiset<std::string> list_directory(const std::filesystem::path& dir);
std::multiset<std::string> without_dots(std::multiset<std::string> names);

}  // namespace nfsfuse::it

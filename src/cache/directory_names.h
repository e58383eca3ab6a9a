// The complete set of names in directories nfsfuse created itself, kept while every change to them
// is ours, so that looking up a name that is not there needs no LOOKUP: the kernel looks up every
// name before it creates it, and an untar or a build creating thousands of files in new
// directories would otherwise pay a round trip per file for an answer it knows.
//
// How it stays true: a directory is known from its MKDIR (empty, at the stamp the server gave the
// new directory). Every change we make in it reports the server's stamp of the directory before
// and after (NFSv3 wcc data). When "before" is the stamp we hold, nobody else changed the
// directory in between: the change is applied and the stamp moves to "after". Otherwise, or when
// the server leaves a stamp out, or a change of ours failed, the directory is forgotten and its
// lookups go to the server again. Another client's change between two of ours is therefore caught
// at our next change; one after our last change is caught after `max_age` at the latest (the
// negative-entry time, acdirmin): a name is reported absent only while our knowledge was
// confirmed by the server within that time. That is no later than the kernel's negative dentries.
// Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "nfs/types.h"

namespace nfsfuse::cache {

class DirectoryNames {
  public:
    using Clock = std::chrono::steady_clock;

    // Knows at most `max_directories` (the least recently confirmed are forgotten first) and at
    // most `max_names` names in one directory (a bigger one is forgotten).
    DirectoryNames(size_t max_directories, size_t max_names);

    // We created `dir`: it is empty, at `stamp`.
    void created_empty(const nfs::FileHandle& dir, const nfs::ChangeStamp& stamp,
                       Clock::time_point now);
    // We added `name` to `dir` (create, mkdir, symlink, link, the target of a rename).
    void added(const nfs::FileHandle& dir, const std::string& name,
               const nfs::DirectoryChange& change, Clock::time_point now);
    // We removed `name` from `dir` (unlink, rmdir, the source of a rename).
    void removed(const nfs::FileHandle& dir, const std::string& name,
                 const nfs::DirectoryChange& change, Clock::time_point now);
    // A change of ours in `dir` failed, or we are otherwise unsure of it.
    void forget(const nfs::FileHandle& dir);

    // Whether `name` is certainly not in `dir`: its names are known, confirmed by the server
    // less than `max_age` ago.
    bool certainly_absent(const nfs::FileHandle& dir, const std::string& name,
                          Clock::time_point now, Clock::duration max_age);

    size_t known_directories();  // for tests

  private:
    struct Known {
        std::unordered_set<std::string> names;
        nfs::ChangeStamp stamp;
        Clock::time_point confirmed;
        std::list<nfs::FileHandle>::iterator age_position;  // in by_age_
    };
    // Applies a change when the server's "before" is the stamp we hold; forgets `dir` otherwise.
    // Returns the directory if it is still known afterwards. With mutex_ held.
    Known* apply(const nfs::FileHandle& dir, const nfs::DirectoryChange& change,
                 Clock::time_point now);
    void forget_locked(const nfs::FileHandle& dir);
    void touch(Known& known, Clock::time_point now);

    const size_t max_directories_;
    const size_t max_names_;
    std::mutex mutex_;
    std::unordered_map<nfs::FileHandle, Known, nfs::FileHandleHash> known_;  // guarded by mutex_
    std::list<nfs::FileHandle> by_age_;  // guarded by mutex_: most recently confirmed first
};

}  // namespace nfsfuse::cache

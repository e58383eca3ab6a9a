// Lookup counting: an id stays valid exactly while the kernel holds lookups on it.
#include "vfs/inode_table.h"

#include <gtest/gtest.h>

#include "util/error.h"

namespace nfsfuse::vfs {
namespace {

nfs::FileHandle handle_of(const std::string& bytes) {
    return nfs::FileHandle{bytes};
}

TEST(InodeTableTest, RootIsKnownAndNeverForgotten) {
    InodeTable table(handle_of("root"));
    EXPECT_EQ(table.handle(InodeTable::kRootId), handle_of("root"));
    table.forget(InodeTable::kRootId, 100);
    EXPECT_EQ(table.handle(InodeTable::kRootId), handle_of("root"));
    EXPECT_EQ(table.remember(handle_of("root")), InodeTable::kRootId);
}

TEST(InodeTableTest, SameHandleGetsSameIdAndCountsLookups) {
    InodeTable table(handle_of("root"));
    const uint64_t first = table.remember(handle_of("a"));
    const uint64_t again = table.remember(handle_of("a"));
    const uint64_t other = table.remember(handle_of("b"));
    EXPECT_EQ(first, again);
    EXPECT_NE(first, other);
    EXPECT_NE(first, InodeTable::kRootId);
    EXPECT_EQ(table.lookup_count(first), 2u);
    EXPECT_EQ(table.lookup_count(other), 1u);
}

TEST(InodeTableTest, ForgetDropsEntryOnlyWhenCountReachesZero) {
    InodeTable table(handle_of("root"));
    const uint64_t id = table.remember(handle_of("a"));
    table.remember(handle_of("a"));
    table.forget(id, 1);
    EXPECT_EQ(table.handle(id), handle_of("a"));
    table.forget(id, 1);
    EXPECT_EQ(table.lookup_count(id), 0u);
    try {
        table.handle(id);
        FAIL() << "a forgotten id must be stale";
    } catch (const Error& e) {
        EXPECT_EQ(e.errnum(), ESTALE);
    }
    EXPECT_EQ(table.size(), 1u);  // only the root is left
}

TEST(InodeTableTest, IdsAreNotReusedAfterForget) {
    InodeTable table(handle_of("root"));
    const uint64_t id = table.remember(handle_of("a"));
    table.forget(id, 1);
    const uint64_t again = table.remember(handle_of("a"));
    EXPECT_NE(id,
              again);  // the kernel may still have the old id in flight; never hand it out again
}

TEST(InodeTableTest, FindDoesNotCountALookup) {
    InodeTable table(handle_of("root"));
    EXPECT_EQ(table.find(handle_of("a")), std::nullopt);
    const uint64_t id = table.remember(handle_of("a"));
    EXPECT_EQ(table.find(handle_of("a")), id);
    EXPECT_EQ(table.lookup_count(id), 1u);
}

TEST(InodeTableTest, ForgetOfUnknownIdIsHarmless) {
    InodeTable table(handle_of("root"));
    table.forget(12345, 1);
    EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace nfsfuse::vfs
